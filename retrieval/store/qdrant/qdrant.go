// Package qdrant is the production store: the store contract (package
// store) and hybrid search (retrieval.Searcher) over a Qdrant server,
// reached through its gRPC API (v1.16 or newer: collection metadata).
//
// # Data model
//
// One collection per index version, named "<alias>_v1_<n>" (schema 1,
// version n) and reached through an alias (default "imyrag"), so that a
// full re-index builds a new collection and swaps the alias in one request
// (NewVersion, Publish). A collection holds three kinds of points, told
// apart by the payload field "type":
//
//   - "chunk": one per chunk and document version, with the named sparse
//     vector "lexical" (BM25 term weights from our Swedish analyzer; see
//     sparse.go), the named dense vector "dense" once the passage is
//     embedded, and the chunk as payload (see points.go).
//   - "document": one per document, without vectors: the document's
//     metadata, its full normalized text and its live version.
//   - "config": one point binding the collection to an embedding model.
//
// The collection's metadata records the schema, the dense vector size and
// the BM25 parameters its sparse weights were computed with.
//
// # Versions and replace semantics
//
// Every document write has a version: a hash of the document ID, pipeline,
// source hash and chunk IDs, so it is deterministic and re-ingesting the
// same content rewrites the same points (idempotent). Chunk point IDs are
// UUIDs derived from (chunk ID, version). ReplaceDocument upserts the new
// version's chunk points first (batches of 128, wait=true), then the
// document point, which names the live version, then deletes the points
// of other versions. Search and every read keep only chunks whose version
// is the live version of their document, so a reader sees the old version
// until the document point is written and the new one after: never none,
// never both. A write interrupted before the document point leaves the old
// version live (or, for a new document, nothing searchable) and unreachable
// points that the next write of that document deletes; Check reports them.
//
// # Errors
//
// Calls have deadlines and are retried with exponential backoff on the
// transient gRPC codes (Unavailable, ResourceExhausted, Aborted,
// DeadlineExceeded); the client library retries nothing itself. Errors
// wrap ErrUnreachable, ErrAuth, ErrServerVersion or ErrNoIndex where the
// caller can act on them. A NotFound from the server means the collection
// (or the alias) is gone, never a missing document: ErrNoIndex, not
// store.ErrNotFound.
package qdrant

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/imy/imyrag/retrieval/ollama"
	"github.com/imy/imyrag/retrieval/store"
)

// Errors callers branch on.
var (
	// ErrUnreachable: the server did not answer (after retries).
	ErrUnreachable = errors.New("qdrant unreachable")
	// ErrAuth: the server refused the API key (Unauthenticated,
	// PermissionDenied).
	ErrAuth = errors.New("qdrant refused the credentials")
	// ErrServerVersion: the server is older than MinServerVersion.
	ErrServerVersion = errors.New("qdrant server version not supported")
	// ErrRemoteHost: the host is neither loopback nor private and
	// Config.AllowRemote is not set.
	ErrRemoteHost = ollama.ErrRemoteHost
	// ErrNoIndex: the alias does not exist (nothing was ingested yet), or
	// the collection behind it was deleted.
	ErrNoIndex = errors.New("no index in qdrant")
)

// Defaults.
const (
	DefaultAddr    = "127.0.0.1:6334"
	DefaultAlias   = "imyrag"
	DefaultDim     = 1024 // bge-m3, the default embedding model
	DefaultTimeout = 30 * time.Second
	// MinServerVersion is the oldest server this store talks to: the
	// collection metadata (schema, BM25 parameters) needs 1.16.
	MinServerVersion = "1.16"
	// maxRecvMsgSize bounds one response. gRPC's default, 4 MiB, is less
	// than a long document's text (Document, Check) or a page of 256
	// vectors of 4096 dimensions.
	maxRecvMsgSize = 256 << 20
	schemaVersion  = 1
)

// Config configures the connection and, for a collection this store
// creates, its layout.
type Config struct {
	// Addr is host:port of the gRPC API (default 127.0.0.1:6334).
	Addr   string
	APIKey string
	TLS    bool
	// AllowRemote permits a host that is neither loopback nor private.
	AllowRemote bool
	// Alias names the index (default "imyrag"); collections are named
	// Alias + "_v1_<n>".
	Alias string
	// Create makes the first collection and the alias when the alias does
	// not exist; otherwise Open fails with ErrNoIndex.
	Create bool
	// Dim is the dense vector size of a collection created now (default
	// 1024). A collection's size is fixed; vectors of another size are
	// refused with store.ErrEmbeddingModel (re-index into a new version).
	Dim int
	// Shards and Replicas are the shard number and replication factor of
	// a collection created now (0: the server's default).
	Shards, Replicas uint32
	// BM25 is the sparse weighting of a collection created now (zero
	// fields: DefaultBM25).
	BM25 BM25
	// Timeout bounds each call (default 30 s); Retries is how many times a
	// transient failure is retried (default 4; negative: none).
	Timeout time.Duration
	Retries int
	Logger  *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.Alias == "" {
		c.Alias = DefaultAlias
	}
	if c.Dim == 0 {
		c.Dim = DefaultDim
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Retries == 0 {
		c.Retries = 4
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	c.BM25 = c.BM25.withDefaults()
	return c
}

// ParseAddr splits host:port (port default 6334).
func ParseAddr(addr string) (host string, port int, err error) {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return "", 0, errors.New("qdrant address is empty")
	}
	if strings.Contains(addr, "://") {
		return "", 0, fmt.Errorf("qdrant address %q: want host:port of the gRPC API (e.g. 127.0.0.1:6334), not a URL", addr)
	}
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, 6334, nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return "", 0, fmt.Errorf("qdrant address %q: bad port", addr)
	}
	if n == 6333 {
		return "", 0, fmt.Errorf("qdrant address %q: 6333 is the REST port; the gRPC API listens on 6334", addr)
	}
	return h, n, nil
}

// Store is an index in Qdrant. Safe for concurrent use.
type Store struct {
	cfg        Config
	client     *qdrant.Client
	ownsClient bool
	// coll is what requests name: the alias for the published index, a
	// collection name for a version being built.
	coll string
	meta collectionMeta

	mu     sync.Mutex
	closed bool
}

var _ store.Store = (*Store)(nil)

// collectionMeta is what a collection's metadata records.
type collectionMeta struct {
	Schema int
	Dim    int
	BM25   BM25
}

// Open connects, checks the server's version and opens the index behind
// cfg.Alias (creating it when cfg.Create is set and it does not exist).
func Open(ctx context.Context, cfg Config) (*Store, error) {
	cfg = cfg.withDefaults()
	host, port, err := ParseAddr(cfg.Addr)
	if err != nil {
		return nil, err
	}
	if !cfg.AllowRemote {
		if err := ollama.CheckLocal(ctx, host); errors.Is(err, ollama.ErrRemoteHost) {
			return nil, fmt.Errorf("qdrant host %s is not a loopback or private address; the index would leave this network. Pass --allow-remote-qdrant (IMYRAG_ALLOW_REMOTE_QDRANT=true) if this host is IMY's own: %w",
				host, ErrRemoteHost)
		} else if err != nil {
			return nil, fmt.Errorf("qdrant host %s: %w", host, err)
		}
	}
	c, err := qdrant.NewClient(&qdrant.Config{Host: host, Port: port, APIKey: cfg.APIKey, UseTLS: cfg.TLS,
		SkipCompatibilityCheck: true, PoolSize: 1,
		GrpcOptions: []grpc.DialOption{grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxRecvMsgSize))}})
	if err != nil {
		return nil, fmt.Errorf("qdrant %s: %w", cfg.Addr, err)
	}
	s := &Store{cfg: cfg, client: c, ownsClient: true, coll: cfg.Alias}
	if err := s.open(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) open(ctx context.Context) error {
	var ver string
	err := s.do(ctx, "health check", func(ctx context.Context) error {
		r, err := s.client.HealthCheck(ctx)
		if err == nil {
			ver = r.GetVersion()
		}
		return err
	})
	if err != nil {
		if errors.Is(err, ErrUnreachable) {
			hint := "is it running? (deploy/docker-compose.yml)"
			if s.cfg.TLS {
				hint += "; TLS is on: does the server serve TLS with a certificate this machine trusts?"
			} else {
				hint += "; if the server requires TLS, set --qdrant-tls"
			}
			return fmt.Errorf("%w — %s", err, hint)
		}
		return err
	}
	if err := checkVersion(ver); err != nil {
		return err
	}
	coll, err := s.resolveAlias(ctx, s.cfg.Alias)
	if err != nil {
		return err
	}
	if coll == "" {
		if !s.cfg.Create {
			return fmt.Errorf("qdrant %s: alias %q: %w", s.cfg.Addr, s.cfg.Alias, ErrNoIndex)
		}
		name, err := s.nextCollection(ctx)
		if err != nil {
			return err
		}
		if err := s.createCollection(ctx, name); err != nil {
			return err
		}
		if err := s.do(ctx, "create alias", idempotentCreate(func(ctx context.Context) error {
			return s.client.UpdateAliases(ctx, []*qdrant.AliasOperations{qdrant.NewAliasCreate(s.cfg.Alias, name)})
		})); err != nil {
			return err
		}
		coll = name
	}
	return s.loadMeta(ctx, coll)
}

func parseVersion(v string) ([2]int, error) {
	p, err := qdrant.ParseVersion(v)
	if err != nil {
		return [2]int{}, err
	}
	return [2]int{p.Major, p.Minor}, nil
}

// checkVersion refuses servers older than MinServerVersion.
func checkVersion(v string) error {
	got, err := parseVersion(v)
	if err != nil {
		return fmt.Errorf("qdrant server version %q: %w", v, ErrServerVersion)
	}
	want, _ := parseVersion(MinServerVersion)
	if got[0] < want[0] || (got[0] == want[0] && got[1] < want[1]) {
		return fmt.Errorf("qdrant server %s is older than %s (upgrade the server): %w", v, MinServerVersion, ErrServerVersion)
	}
	return nil
}

// Collection returns the name of the collection the store reads and
// writes (resolved through the alias).
func (s *Store) Collection(ctx context.Context) (string, error) {
	if s.coll != s.cfg.Alias {
		return s.coll, nil
	}
	return s.resolveAlias(ctx, s.cfg.Alias)
}

func (s *Store) resolveAlias(ctx context.Context, alias string) (string, error) {
	var aliases []*qdrant.AliasDescription
	err := s.do(ctx, "list aliases", func(ctx context.Context) error {
		var err error
		aliases, err = s.client.ListAliases(ctx)
		return err
	})
	if err != nil {
		return "", err
	}
	for _, a := range aliases {
		if a.GetAliasName() == alias {
			return a.GetCollectionName(), nil
		}
	}
	return "", nil
}

// nextCollection returns the next free versioned collection name.
func (s *Store) nextCollection(ctx context.Context) (string, error) {
	var names []string
	err := s.do(ctx, "list collections", func(ctx context.Context) error {
		var err error
		names, err = s.client.ListCollections(ctx)
		return err
	})
	if err != nil {
		return "", err
	}
	return nextName(s.cfg.Alias, names), nil
}

// nextName is alias_v1_<n+1> for the highest n in use.
func nextName(alias string, names []string) string {
	prefix := fmt.Sprintf("%s_v%d_", alias, schemaVersion)
	n := 0
	for _, name := range names {
		if rest, ok := strings.CutPrefix(name, prefix); ok {
			if k, err := strconv.Atoi(rest); err == nil && k > n {
				n = k
			}
		}
	}
	return fmt.Sprintf("%s%d", prefix, n+1)
}

func (s *Store) createCollection(ctx context.Context, name string) error {
	req := createCollectionRequest(name, s.cfg)
	if err := s.do(ctx, "create collection "+name, idempotentCreate(func(ctx context.Context) error {
		return s.client.CreateCollection(ctx, req)
	})); err != nil {
		return err
	}
	for _, ix := range fieldIndexRequests(name) {
		if err := s.do(ctx, "create payload index "+ix.FieldName, func(ctx context.Context) error {
			_, err := s.client.CreateFieldIndex(ctx, ix)
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) loadMeta(ctx context.Context, coll string) error {
	var info *qdrant.CollectionInfo
	err := s.do(ctx, "collection info", func(ctx context.Context) error {
		var err error
		info, err = s.client.GetCollectionInfo(ctx, coll)
		return err
	})
	if err != nil {
		return err
	}
	m, err := parseMeta(info)
	if err != nil {
		return fmt.Errorf("qdrant collection %s: %w", coll, err)
	}
	s.meta = m
	return nil
}

// NewVersion creates the next collection of the index (alias_v1_<n+1>),
// with dim as its dense vector size (0: the configured one), and returns a
// store that writes into it. Readers keep using the published collection
// until Publish.
func (s *Store) NewVersion(ctx context.Context, dim int, bm BM25) (*Store, error) {
	name, err := s.nextCollection(ctx)
	if err != nil {
		return nil, err
	}
	cfg := s.cfg
	if dim > 0 {
		cfg.Dim = dim
	}
	cfg.BM25 = bm.withDefaults()
	n := &Store{cfg: cfg, client: s.client, coll: name}
	if err := n.createCollection(ctx, name); err != nil {
		return nil, err
	}
	if err := n.loadMeta(ctx, name); err != nil {
		return nil, err
	}
	return n, nil
}

// Publish points the alias at this store's collection in one request and
// returns the collection it pointed at before ("" when none). The old
// collection is kept (for rollback); delete it with DropCollection.
func (s *Store) Publish(ctx context.Context) (old string, err error) {
	old, err = s.resolveAlias(ctx, s.cfg.Alias)
	if err != nil {
		return "", err
	}
	ops := aliasSwap(s.cfg.Alias, old, s.coll)
	err = s.do(ctx, "swap alias", func(ctx context.Context) error { return s.client.UpdateAliases(ctx, ops) })
	return old, err
}

// aliasSwap is the one request that moves alias from old to coll.
func aliasSwap(alias, old, coll string) []*qdrant.AliasOperations {
	var ops []*qdrant.AliasOperations
	if old != "" {
		ops = append(ops, qdrant.NewAliasDelete(alias))
	}
	return append(ops, qdrant.NewAliasCreate(alias, coll))
}

// DropCollection deletes a collection by name (an old version).
func (s *Store) DropCollection(ctx context.Context, name string) error {
	return s.do(ctx, "delete collection "+name, func(ctx context.Context) error {
		return s.client.DeleteCollection(ctx, name)
	})
}

// Close closes the connection (a store made by NewVersion shares its
// parent's and closes nothing). Safe to call more than once.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || !s.ownsClient {
		s.closed = true
		return nil
	}
	s.closed = true
	return s.client.Close()
}

// idempotentCreate makes a create call safe to retry: when an attempt
// timed out or was cut off after the server had done it, the retry's
// AlreadyExists is that attempt's success. A first attempt's
// AlreadyExists stays an error (someone else made it).
func idempotentCreate(call func(context.Context) error) func(context.Context) error {
	retried := false
	return func(ctx context.Context) error {
		err := call(ctx)
		if retried && status.Code(err) == codes.AlreadyExists {
			return nil
		}
		retried = true
		return err
	}
}

// transient reports whether a gRPC code is worth retrying.
func transient(c codes.Code) bool {
	switch c {
	case codes.Unavailable, codes.ResourceExhausted, codes.Aborted, codes.DeadlineExceeded:
		return true
	}
	return false
}

// do runs one call with a deadline, retrying transient failures with
// exponential backoff (100 ms, 200 ms, … capped at 5 s), and classifies
// the final error.
func (s *Store) do(ctx context.Context, op string, call func(context.Context) error) error {
	backoff := 100 * time.Millisecond
	for attempt := 0; ; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
		err := call(cctx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("qdrant %s: %w", op, ctx.Err())
		}
		code := status.Code(err)
		var rex *qdrant.QdrantResourceExhaustedError
		if errors.As(err, &rex) {
			code = codes.ResourceExhausted
		}
		if !transient(code) || attempt >= s.cfg.Retries {
			return classify(op, s.cfg.Addr, code, err)
		}
		wait := backoff
		if rex != nil && rex.RetryAfterS > 0 {
			wait = time.Duration(rex.RetryAfterS) * time.Second
		}
		s.cfg.Logger.Debug("qdrant call failed, retrying", "op", op, "code", code, "attempt", attempt+1, "wait", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("qdrant %s: %w", op, ctx.Err())
		case <-t.C:
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func classify(op, addr string, code codes.Code, err error) error {
	switch code {
	case codes.Unauthenticated, codes.PermissionDenied:
		return fmt.Errorf("qdrant %s: %w (set IMYRAG_QDRANT_API_KEY): %v", op, ErrAuth, err)
	case codes.Unavailable, codes.DeadlineExceeded:
		return fmt.Errorf("qdrant %s at %s: %w: %v", op, addr, ErrUnreachable, err)
	case codes.NotFound:
		// Qdrant answers NotFound for a missing collection or alias (a
		// missing point is an empty result, except to UpdateVectors).
		return fmt.Errorf("qdrant %s: the collection is gone (deleted, or the alias moved meanwhile?): %w: %v", op, ErrNoIndex, err)
	}
	return fmt.Errorf("qdrant %s: %w", op, err)
}

// Location names the index for messages: qdrant://addr/alias.
func (s *Store) Location() string { return fmt.Sprintf("qdrant://%s/%s", s.cfg.Addr, s.coll) }
