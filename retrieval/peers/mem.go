package peers

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MemWatch records the peak memory of the process while it runs: the
// kernel's peak resident set (VmHWM, reset at the start where the kernel
// allows it) and the largest Go heap in use seen by a sampler every 10 ms.
type MemWatch struct {
	stop     chan struct{}
	wg       sync.WaitGroup
	peakHeap uint64
}

// WatchMem starts a MemWatch.
func WatchMem() *MemWatch {
	w := &MemWatch{stop: make(chan struct{})}
	// "5" resets VmHWM to the current RSS (Linux ≥ 4.0); where it cannot,
	// Stop reports the peak since the process started.
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			w.peakHeap = max(w.peakHeap, ms.HeapInuse)
			select {
			case <-w.stop:
				return
			case <-t.C:
			}
		}
	}()
	return w
}

// Stop ends the watch and returns the peak RSS and peak Go heap in use, in
// MB (10⁶ bytes). Peak RSS is 0 where /proc is not available; when the peak
// could not be reset it is the process's peak since start.
func (w *MemWatch) Stop() (rssMB, heapMB float64) {
	close(w.stop)
	w.wg.Wait()
	return float64(ProcStatus("VmHWM")) / 1e6, float64(w.peakHeap) / 1e6
}

// ProcStatus returns a memory field of /proc/self/status ("VmRSS",
// "VmHWM") in bytes, or 0 when it cannot be read.
func ProcStatus(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != field {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}

// HeapInuse returns the Go heap in use after a full collection.
func HeapInuse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}
