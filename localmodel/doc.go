// Package localmodel talks to an OpenAI-compatible local model (Ollama,
// llama.cpp, vLLM, LM Studio) for fill-in-the-middle completions and streamed
// chat, and provides the built-in offline model. Callers hand it redacted
// text only; it never falls back to another endpoint.
//
// # Contract
//
// Every string that enters this package through [FIMRequest], [ChatRequest],
// [Snippet], [BuildContext], [ContextBounds] or [PickNeighbors] (and
// [Picker]) must already be redacted. The package sends it
// as given; it does not look for secrets and cannot restore placeholders.
// Errors ([Error]) name the endpoint and the cause and never carry request
// text or the API key: a server message that quotes either is withheld.
//
// # The network client
//
// [New] returns it when model.endpoint is set. It sends to exactly that
// endpoint: no HTTP(S)_PROXY from the environment, no redirects, no retry
// elsewhere. Completions stream from /v1/completions (a call written on
// net/http's transport with a pooled request body and stream reader, so
// that a completion leaves little garbage; chat and /v1/models go through
// go-openai), either with the server's suffix field (model.fim: suffix, for Ollama) or with the model
// family's FIM tokens in the prompt (qwen, starcoder, codellama, deepseek, for
// llama.cpp and vLLM, whose /v1/completions rejects suffix). Neighbour
// snippets go first, each under a comment with its path. The stream is read
// until the suggestion reaches its boundary (end of line for Automatic, end
// of block for Invoked, and for a Multiline request whose cursor ends a block
// opener or sits on an empty line), then the client hangs up. A closing
// bracket or quote the model repeats from after the cursor is dropped only
// when the text after the cursor closes the same opener. Chat streams from
// /v1/chat/completions with a system prompt that asks the model to keep
// placeholders verbatim, and per-session history within a byte budget.
//
// Every call has deadlines besides the caller's context:
// model.first_token_timeout until the first chunk, and model.timeout for a
// whole completion or probe. In chat, model.timeout bounds each wait for the
// next chunk and the whole reply is capped at ten times it, since a long
// answer streams for longer than a completion may take. Cancelling the
// context closes the connection at once.
//
// [Probe] checks /v1/models serves model.name; model.pin restricts the model
// ids (answers naming another model are refused and discarded), and a pin
// "name@sha256:<digest>" is checked against Ollama's /api/tags before the
// first request, failing closed when it cannot be checked.
//
// # The built-in model
//
// The built-in model is an offline fallback and demo engine, not a language
// model. It completes by finding the longest earlier occurrence of the text
// before the cursor (in the prefix or the neighbour snippets) and offering
// what followed it, cut at the same boundaries as the client; it answers chat
// with a factual summary of what it received (files, message size, and the
// number of placeholders matching [ChatRequest].TokenPattern). It is
// deterministic and does no I/O.
//
// May import: config, chatlog.
package localmodel
