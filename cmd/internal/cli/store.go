package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/analyze"
	"github.com/imy/imyrag/retrieval/store"
	"github.com/imy/imyrag/retrieval/store/local"
	"github.com/imy/imyrag/retrieval/store/qdrant"
)

// StoreConfig chooses the index backend: the embedded file (--index) or a
// Qdrant server. It is part of Config (embedded, so its keys sit at the
// top level of the config file).
type StoreConfig struct {
	// Store is "local" (default) or "qdrant".
	Store             string `json:"store"`
	QdrantURL         string `json:"qdrant_url"`
	QdrantAPIKey      string `json:"qdrant_api_key"`
	QdrantTLS         bool   `json:"qdrant_tls"`
	QdrantAlias       string `json:"qdrant_alias"`
	QdrantShards      int    `json:"qdrant_shards"`
	QdrantReplica     int    `json:"qdrant_replicas"`
	QdrantDim         int    `json:"qdrant_dim"`
	AllowRemoteQdrant bool   `json:"allow_remote_qdrant"`
}

func init() { settings = append(settings, storeSettings...) }

var storeSettings = []setting{
	{"store", "IMYRAG_STORE", "index backend: local (the --index file) or qdrant",
		func(c *Config) string { return c.Store },
		func(c *Config, v string) error {
			switch v = strings.TrimSpace(v); v {
			case "", "local", "qdrant":
				c.Store = v
				return nil
			}
			return fmt.Errorf("want local or qdrant, got %q", v)
		}},
	{"qdrant-url", "IMYRAG_QDRANT_URL", "Qdrant gRPC address host:port (default 127.0.0.1:6334)",
		func(c *Config) string { return c.QdrantURL },
		func(c *Config, v string) error {
			if _, _, err := qdrant.ParseAddr(v); err != nil {
				return err
			}
			c.QdrantURL = v
			return nil
		}},
	{"qdrant-api-key", "IMYRAG_QDRANT_API_KEY", "Qdrant API key (send it over TLS)",
		func(c *Config) string { return c.QdrantAPIKey },
		func(c *Config, v string) error { c.QdrantAPIKey = v; return nil }},
	{"qdrant-tls", "IMYRAG_QDRANT_TLS", "talk to Qdrant over TLS",
		func(c *Config) string { return strconv.FormatBool(c.QdrantTLS) },
		boolSetter(func(c *Config) *bool { return &c.QdrantTLS })},
	{"qdrant-alias", "IMYRAG_QDRANT_ALIAS", "Qdrant alias of the index (collections are ALIAS_v1_N)",
		func(c *Config) string { return c.QdrantAlias },
		func(c *Config, v string) error { c.QdrantAlias = v; return nil }},
	{"qdrant-shards", "IMYRAG_QDRANT_SHARDS", "shards of a new Qdrant collection (0: server default)",
		func(c *Config) string { return strconv.Itoa(c.QdrantShards) },
		intSetter(func(c *Config) *int { return &c.QdrantShards }, 0)},
	{"qdrant-replicas", "IMYRAG_QDRANT_REPLICAS", "replication factor of a new Qdrant collection (0: server default)",
		func(c *Config) string { return strconv.Itoa(c.QdrantReplica) },
		intSetter(func(c *Config) *int { return &c.QdrantReplica }, 0)},
	{"qdrant-dim", "IMYRAG_QDRANT_DIM", "dense vector size of a new Qdrant collection (the embedding model's; default 1024)",
		func(c *Config) string { return strconv.Itoa(c.QdrantDim) },
		intSetter(func(c *Config) *int { return &c.QdrantDim }, 0)},
	{"allow-remote-qdrant", "IMYRAG_ALLOW_REMOTE_QDRANT", "allow a Qdrant host that is not loopback or private",
		func(c *Config) string { return strconv.FormatBool(c.AllowRemoteQdrant) },
		boolSetter(func(c *Config) *bool { return &c.AllowRemoteQdrant })},
}

// addStoreFlags binds the store flags; their values reach the Config
// through the settings table like every other flag.
func addStoreFlags(pf *pflag.FlagSet, c *Config) {
	pf.StringVar(&c.Store, "store", "local", "index backend: local or qdrant [IMYRAG_STORE]")
	pf.StringVar(&c.QdrantURL, "qdrant-url", "", "Qdrant gRPC address host:port, default 127.0.0.1:6334 [IMYRAG_QDRANT_URL]")
	pf.StringVar(&c.QdrantAPIKey, "qdrant-api-key", "", "Qdrant API key [IMYRAG_QDRANT_API_KEY]")
	pf.BoolVar(&c.QdrantTLS, "qdrant-tls", false, "talk to Qdrant over TLS [IMYRAG_QDRANT_TLS]")
	pf.StringVar(&c.QdrantAlias, "qdrant-alias", qdrant.DefaultAlias, "Qdrant alias of the index [IMYRAG_QDRANT_ALIAS]")
	pf.IntVar(&c.QdrantShards, "qdrant-shards", 0, "shards of a new Qdrant collection [IMYRAG_QDRANT_SHARDS]")
	pf.IntVar(&c.QdrantReplica, "qdrant-replicas", 0, "replication factor of a new Qdrant collection [IMYRAG_QDRANT_REPLICAS]")
	pf.IntVar(&c.QdrantDim, "qdrant-dim", 0, "dense vector size of a new Qdrant collection [IMYRAG_QDRANT_DIM]")
	pf.BoolVar(&c.AllowRemoteQdrant, "allow-remote-qdrant", false, "allow a Qdrant host that is not loopback or private [IMYRAG_ALLOW_REMOTE_QDRANT]")
}

// indexStore is an opened index of either backend.
type indexStore interface {
	store.Store
	// Location says where the index lives, for messages.
	Location() string
}

type localStore struct{ *local.Store }

func (l localStore) Location() string { return l.Path() }

type qdrantStore struct{ *qdrant.Store }

func (q qdrantStore) Location() string { return q.Store.Location() }

func (e *env) usesQdrant() bool { return e.cfg.Store == "qdrant" }

// qdrantConfig is the Qdrant connection of the configuration.
func (e *env) qdrantConfig(create bool) qdrant.Config {
	return qdrant.Config{Addr: e.cfg.QdrantURL, APIKey: e.cfg.QdrantAPIKey, TLS: e.cfg.QdrantTLS,
		AllowRemote: e.cfg.AllowRemoteQdrant, Alias: e.cfg.QdrantAlias, Create: create, Dim: e.cfg.QdrantDim,
		Shards: uint32(e.cfg.QdrantShards), Replicas: uint32(e.cfg.QdrantReplica), Logger: e.log.With("component", "qdrant")}
}

// openQdrant connects to the configured Qdrant and says what to do when it
// cannot.
func (e *env) openQdrant(create bool) (*qdrant.Store, error) {
	s, err := qdrant.Open(e.ctx, e.qdrantConfig(create))
	switch {
	case errors.Is(err, qdrant.ErrNoIndex):
		return nil, hintError{err, "imyrag ingest --store qdrant   (or: imyrag index migrate --to qdrant)"}
	case errors.Is(err, qdrant.ErrUnreachable):
		return nil, hintError{err, "docker compose -f deploy/docker-compose.yml up -d qdrant"}
	case errors.Is(err, qdrant.ErrAuth):
		return nil, hintError{err, "set IMYRAG_QDRANT_API_KEY to the server's key"}
	case errors.Is(err, qdrant.ErrRemoteHost):
		return nil, usageError{err}
	}
	return s, err
}

// openStore opens the configured index: the embedded file, or the Qdrant
// index (created when create is set and it does not exist yet).
func (e *env) openStore(create bool) (indexStore, error) {
	if e.usesQdrant() {
		s, err := e.openQdrant(create)
		if err != nil {
			return nil, err
		}
		return qdrantStore{s}, nil
	}
	var s *local.Store
	var err error
	if create {
		s, err = e.openIndex()
	} else {
		s, err = e.openExistingIndex()
	}
	if err != nil {
		return nil, err
	}
	return localStore{s}, nil
}

// searcher opens the configured index for searching.
func (e *env) searcher() (retrieval.Searcher, func(), error) {
	st, eng, err := e.openSearch()
	if err != nil {
		return nil, nil, err
	}
	return eng, func() { st.Close() }, nil
}

// openSearch opens the configured index for reading and searching: the
// store (documents, chunks, stats) and the search engine over it. The
// caller closes the store.
func (e *env) openSearch() (indexStore, retrieval.Searcher, error) {
	st, err := e.openStore(false)
	if err != nil {
		return nil, nil, err
	}
	switch s := st.(type) {
	case qdrantStore:
		return st, qdrant.NewEngine(s.Store, analyze.Default()), nil
	case localStore:
		return st, retrieval.NewEngine(s.Store, analyze.Default(), retrieval.Options{}), nil
	}
	st.Close()
	return nil, nil, fmt.Errorf("no search engine for the index at %s", st.Location())
}
