// Package ollama talks to a local Ollama server through its Go API package
// (github.com/ollama/ollama/api): embeddings for ingest and queries, streamed
// chat for answers, and the model checks behind `imyrag models`.
//
// Every call has a deadline, requests never let Ollama truncate silently
// (truncate and shift are off, num_ctx is explicit, and prompt_eval_count is
// returned for the caller to compare with its own count), and the server's
// address must be loopback or private unless the operator allows a remote
// host: questions may contain personal data and must not leave IMY's
// machines by accident.
package ollama

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/ollama/ollama/api"
)

// Defaults for Config.
const (
	// DefaultChatModel is a European model, the best open model of at most
	// 30B parameters on the EuroEval Swedish leaderboard in 2025.
	DefaultChatModel = "mistral-small3.2"
	// DefaultEmbedModel is multilingual with 1,024 dimensions.
	DefaultEmbedModel = "bge-m3"
	// DefaultHost is Ollama's own default address.
	DefaultHost = "http://127.0.0.1:11434"
	// DefaultNumCtx is the chat context length requested from the server.
	// Ollama's CPU default is 4,096 tokens and it cuts longer prompts from
	// the front without an error, so it is always sent explicitly.
	DefaultNumCtx = 8192
	// DefaultEmbedCtx is the context length for embedding one passage.
	// Chunks are at most 512 cl100k tokens; bge-m3 is reported to embed at
	// most 2,048 tokens through Ollama whatever num_ctx says.
	DefaultEmbedCtx = 2048
	// DefaultTimeout bounds a non-streaming call (embedding, show, list).
	DefaultTimeout = 2 * time.Minute
	// DefaultChatTimeout bounds a whole streamed answer, model load
	// included (a 24B model on CPU can take a minute to load).
	DefaultChatTimeout = 5 * time.Minute
)

// Config says where the server is and which models to use.
type Config struct {
	// Host is the server address: "http://host:port", "host:port" or
	// "host". Empty means $OLLAMA_HOST, then DefaultHost.
	Host string
	// AllowRemote permits a host that is neither loopback nor private.
	AllowRemote bool
	// ChatModel and EmbedModel default to DefaultChatModel and
	// DefaultEmbedModel.
	ChatModel  string
	EmbedModel string
	// NumCtx is the chat context length (default DefaultNumCtx); EmbedCtx
	// the embedding context length (default DefaultEmbedCtx).
	NumCtx   int
	EmbedCtx int
	// Timeout bounds non-streaming calls; ChatTimeout a streamed answer.
	Timeout     time.Duration
	ChatTimeout time.Duration
}

func (c Config) withDefaults() Config {
	if c.Host == "" {
		c.Host = os.Getenv("OLLAMA_HOST")
	}
	if c.Host == "" {
		c.Host = DefaultHost
	}
	if c.ChatModel == "" {
		c.ChatModel = DefaultChatModel
	}
	if c.EmbedModel == "" {
		c.EmbedModel = DefaultEmbedModel
	}
	if c.NumCtx <= 0 {
		c.NumCtx = DefaultNumCtx
	}
	if c.EmbedCtx <= 0 {
		c.EmbedCtx = DefaultEmbedCtx
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.ChatTimeout <= 0 {
		c.ChatTimeout = DefaultChatTimeout
	}
	return c
}

// Client is a connection to one Ollama server. Safe for concurrent use.
type Client struct {
	cfg  Config
	base *url.URL
	api  *api.Client
}

// New checks the configuration and returns a client. It does not contact
// the server; Check does. A host that is not loopback or private is refused
// with an error wrapping ErrRemoteHost unless cfg.AllowRemote is set.
func New(ctx context.Context, cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	base, err := ParseHost(cfg.Host)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(base.Hostname()); ip != nil && ip.IsUnspecified() {
		// OLLAMA_HOST=0.0.0.0 is how servers are told to listen on every
		// interface; a client reaches such a server on loopback.
		base.Host = net.JoinHostPort("127.0.0.1", base.Port())
	}
	if !cfg.AllowRemote {
		if err := CheckLocal(ctx, base.Hostname()); err != nil {
			return nil, err
		}
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	if !cfg.AllowRemote {
		// The name was checked once above; check the address actually
		// dialled too, so that a DNS change cannot send questions away.
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || !localIP(ip) {
				return fmt.Errorf("ollama host %s resolved to %s, which is not a loopback or private address: %w", base.Hostname(), host, ErrRemoteHost)
			}
			return nil
		}
	}
	hc := &http.Client{
		// No Client.Timeout: it would cut a streamed answer's body. Every
		// call carries a context deadline instead.
		Transport: &http.Transport{
			Proxy:               nil, // never route model traffic through a proxy
			DialContext:         dialer.DialContext,
			MaxIdleConnsPerHost: 8,
			IdleConnTimeout:     90 * time.Second,
		},
	}
	return &Client{cfg: cfg, base: base, api: api.NewClient(base, hc)}, nil
}

// Host returns the server's base URL.
func (c *Client) Host() string { return c.base.String() }

// ChatModel and EmbedModel return the configured model names.
func (c *Client) ChatModel() string  { return c.cfg.ChatModel }
func (c *Client) EmbedModel() string { return c.cfg.EmbedModel }

// NumCtx returns the chat context length sent with every chat request.
func (c *Client) NumCtx() int { return c.cfg.NumCtx }

// ParseHost reads an Ollama address the way OLLAMA_HOST is read: a scheme is
// optional (http by default), the port defaults to 11434.
func ParseHost(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("ollama host is empty")
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("ollama host %q: %w", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("ollama host %q: scheme must be http or https", s)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("ollama host %q has no host name", s)
	}
	if u.Port() == "" {
		port := "11434"
		if u.Scheme == "https" {
			port = "443"
		}
		u.Host = net.JoinHostPort(u.Hostname(), port)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// ErrRemoteHost means a server address is neither loopback nor private.
var ErrRemoteHost = errors.New("remote host not allowed")

// CheckLocal returns nil when host is a loopback or private address, or a
// name that resolves only to such addresses; otherwise an error wrapping
// ErrRemoteHost that says how to allow it.
func CheckLocal(ctx context.Context, host string) error {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return nil
	}
	var addrs []net.IP
	if ip := net.ParseIP(host); ip != nil {
		addrs = []net.IP{ip}
	} else {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		ips, err := net.DefaultResolver.LookupIP(ctx, "ip", host)
		if err != nil {
			return fmt.Errorf("ollama host %s: cannot resolve it to check that it is local: %w", host, err)
		}
		addrs = ips
	}
	for _, ip := range addrs {
		if !localIP(ip) {
			return fmt.Errorf("ollama host %s (%s) is not a loopback or private address; questions and documents would leave this network. Use a local server, or pass --allow-remote-llm (IMYRAG_ALLOW_REMOTE_LLM=1) if this host is IMY's own: %w",
				host, ip, ErrRemoteHost)
		}
	}
	return nil
}

// localIP reports a loopback, private or link-local address.
func localIP(ip net.IP) bool {
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast()
}

// Errors callers branch on; Client methods wrap them with what to do.
var (
	// ErrUnreachable: no server answers at the address.
	ErrUnreachable = errors.New("ollama server unreachable")
	// ErrModelMissing: the server does not have the model.
	ErrModelMissing = errors.New("model not found")
	// ErrBusy: the server's queue is full (HTTP 503).
	ErrBusy = errors.New("ollama server busy")
	// ErrTimeout: the call's deadline passed.
	ErrTimeout = errors.New("ollama call timed out")
	// ErrContextLength: the input does not fit the model's context.
	ErrContextLength = errors.New("input longer than the model's context")
	// ErrCutOff: a streamed answer ended without the server's final message
	// (the server stopped or the connection broke mid-answer).
	ErrCutOff = errors.New("answer stream cut off")
)

// classify wraps err from a call (op, e.g. "embed") to model with the
// sentinel that fits and a message that says what to do.
func (c *Client) classify(ctx context.Context, op, model string, err error) error {
	if err == nil {
		return nil
	}
	var se api.StatusError
	switch {
	case errors.Is(err, ErrRemoteHost):
		return fmt.Errorf("%s: %w", op, err)
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil:
		hint := "try again shortly"
		if op == "chat" {
			hint = "try again, or raise --llm-timeout"
		}
		return fmt.Errorf("%s with %s at %s: no answer before the deadline; the model may still be loading or the server is overloaded — %s: %w",
			op, model, c.base, hint, ErrTimeout)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%s with %s: %w", op, model, err)
	case errors.As(err, &se):
		switch {
		case se.StatusCode == http.StatusNotFound:
			return fmt.Errorf("%s: the Ollama server at %s does not have the model %q; fetch it with `imyrag models pull` (or `ollama pull %s`), or choose another with --chat-model/--embed-model: %w",
				op, c.base, model, model, ErrModelMissing)
		case se.StatusCode == http.StatusServiceUnavailable:
			return fmt.Errorf("%s with %s: the Ollama server at %s is busy (HTTP 503, its queue is full); try again shortly, or raise OLLAMA_MAX_QUEUE/OLLAMA_NUM_PARALLEL on the server: %w",
				op, model, c.base, ErrBusy)
		case isContextError(se.ErrorMessage):
			return fmt.Errorf("%s with %s: %s: %w", op, model, se.ErrorMessage, ErrContextLength)
		}
		return fmt.Errorf("%s with %s at %s: %w", op, model, c.base, err)
	case isRefused(err):
		return fmt.Errorf("%s: no Ollama server answers at %s; start it (`ollama serve`), or point imyrag at it with --ollama-host or OLLAMA_HOST: %w",
			op, c.base, ErrUnreachable)
	case isContextError(err.Error()):
		return fmt.Errorf("%s with %s: %v: %w", op, model, err, ErrContextLength)
	}
	return fmt.Errorf("%s with %s at %s: %w", op, model, c.base, err)
}

func isRefused(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// isContextError recognises the server's messages for input that does not
// fit the context with truncation off.
func isContextError(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "context length") || strings.Contains(m, "exceeds the context") ||
		strings.Contains(m, "input length exceeds")
}

// Version returns the server's version.
func (c *Client) Version(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	v, err := c.api.Version(ctx)
	return v, c.classify(ctx, "connect", "the server", err)
}
