;;; veil-copilot.el --- copilot.el talking to veil  -*- lexical-binding: t; -*-

;;; Commentary:

;; copilot.el (copilot-emacs/copilot.el) starts `copilot-server-executable'
;; with --stdio and speaks the Copilot dialect (checkStatus, getCompletions,
;; textDocument/inlineCompletion, ...).  veil lsp speaks it too and answers
;; checkStatus with OK, so no GitHub sign-in is needed.  Point copilot.el at the
;; veil-copilot wrapper (editors/neovim/bin/veil-copilot), which runs
;; `veil lsp --stdio':
;;
;;   (load "/path/to/veil/editors/emacs/veil-copilot.el")
;;
;; Use either this or veil-eglot.el per buffer, not both: each starts its own
;; veil process.
;;
;; Confirm veil is the server: `M-x copilot-login' answers "Copilot: Already
;; signed in as veil" (GitHub's server asks for a device code instead), and
;; `M-x copilot-select-completion-model' offers only veil's local model.

;;; Code:

(defvar veil-copilot-wrapper (expand-file-name "~/.local/bin/veil-copilot")
  "The veil-copilot wrapper script (it execs `veil lsp \"$@\"').")

;; A defcustom in copilot.el: setting it before or after copilot loads works.
(defvar copilot-server-executable)
;; There is nothing to `copilot-install-server' or `copilot-login' to.
(setq copilot-server-executable veil-copilot-wrapper)

;; Wrap form (keep GitHub Copilot; veil masks everything at its network):
;;   (setq copilot-server-executable (expand-file-name "~/.local/bin/veil-copilot-wrap"))
;; which runs `veil lsp --wrap -- copilot-language-server --stdio'.

(provide 'veil-copilot)
;;; veil-copilot.el ends here
