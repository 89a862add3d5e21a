package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/imy/imyrag/cmd/internal/progress"
	"github.com/imy/imyrag/retrieval/ollama"
)

func newModelsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "models",
		Short: "Check or fetch the language models on the Ollama server",
	}
	var asJSON bool
	check := &cobra.Command{
		Use:   "check",
		Short: "Check the server and both models: present, context length, embedding dimension",
		Long: `Contact the Ollama server and check the chat model and the embedding model:
that they are present, their context length, and the dimension of the
vectors the embedding model returns (it embeds one word to find out).

Exit status 1 when the server does not answer or a model is missing.`,
		Example: "  imyrag models check\n  imyrag models check --ollama-host 10.0.0.5 --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runModelsCheck(e, asJSON)
		},
	}
	check.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	var which string
	pull := &cobra.Command{
		Use:   "pull",
		Short: "Fetch the configured models onto the Ollama server",
		Long: `Ask the Ollama server to fetch the chat and embedding models (or one of them
with --only chat|embed), with a progress bar. The server needs a route to its
model registry; on an air-gapped server copy the models from a machine that
has them instead.`,
		Example: "  imyrag models pull\n  imyrag models pull --only embed --embed-model bge-m3",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runModelsPull(e, which)
		},
	}
	pull.Flags().StringVar(&which, "only", "", "pull only the chat or the embed model")
	cmd.AddCommand(check, pull)
	return cmd
}

func runModelsCheck(e *env, asJSON bool) error {
	c, err := e.llm()
	if err != nil {
		return err
	}
	if c == nil {
		return usageError{fmt.Errorf("the language model is off (--llm off / IMYRAG_LLM=off)")}
	}
	r, err := c.Check(e.ctx)
	if err != nil {
		return err
	}
	if asJSON {
		if err := writeJSON(e.stdout, r); err != nil {
			return err
		}
	} else {
		w := e.stdout
		fmt.Fprintf(w, "Ollama %s at %s\n", r.Version, r.Host)
		for _, m := range []struct {
			role string
			info ollama.ModelInfo
		}{{"chat ", r.Chat}, {"embed", r.Embed}} {
			if !m.info.Present {
				fmt.Fprintf(w, "  %s  %-28s MISSING\n", m.role, m.info.Name)
				continue
			}
			var facts []string
			if m.info.ParameterSize != "" {
				facts = append(facts, m.info.ParameterSize)
			}
			if m.info.Quantization != "" {
				facts = append(facts, m.info.Quantization)
			}
			if m.info.ContextLength > 0 {
				facts = append(facts, fmt.Sprintf("context %d", m.info.ContextLength))
			}
			fmt.Fprintf(w, "  %s  %-28s ok  %s\n", m.role, m.info.Name, strings.Join(facts, ", "))
		}
		if r.EmbedDim > 0 {
			fmt.Fprintf(w, "  embedding dimension %d; answers use num_ctx %d\n", r.EmbedDim, r.NumCtx)
		}
		for _, p := range r.Problems {
			fmt.Fprintf(w, "  problem: %s\n", p)
		}
	}
	if !r.OK() {
		return silentError{exitFailure}
	}
	return nil
}

func runModelsPull(e *env, which string) error {
	c, err := e.llm()
	if err != nil {
		return err
	}
	if c == nil {
		return usageError{fmt.Errorf("the language model is off (--llm off / IMYRAG_LLM=off)")}
	}
	var models []string
	switch which {
	case "":
		models = []string{c.ChatModel(), c.EmbedModel()}
	case "chat":
		models = []string{c.ChatModel()}
	case "embed":
		models = []string{c.EmbedModel()}
	default:
		return usageError{fmt.Errorf("--only %q: want chat or embed", which)}
	}
	for _, m := range models {
		bar := progress.NewBytes(e.stderr, e.stderrTTY, "pull "+m)
		err := c.Pull(e.ctx, m, func(p ollama.Progress) {
			bar.Set(p.Status, p.Completed, p.Total)
		})
		bar.Finish()
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "%s: ok\n", m)
	}
	return nil
}
