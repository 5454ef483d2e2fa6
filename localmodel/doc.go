// Package localmodel talks to an OpenAI-compatible local model (Ollama,
// llama.cpp, vLLM, LM Studio) for fill-in-the-middle completions and streamed
// chat, and provides the built-in offline model. Callers hand it redacted
// text only; it never falls back to another endpoint.
//
// May import: config.
package localmodel
