// Command imyrag is IMY's self-hosted legal knowledge assistant: it ingests
// IMY's documents into a local index and searches and answers from them.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/imy/imyrag/cmd/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// A second Ctrl-C forces the exit.
		<-ctx.Done()
		stop()
	}()
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
