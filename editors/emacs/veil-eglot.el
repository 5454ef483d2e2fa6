;;; veil-eglot.el --- veil as eglot's language server  -*- lexical-binding: t; -*-

;; Tested with Emacs 28.2 and eglot 1.9 (Debian's elpa-eglot); Emacs 29+
;; ships eglot built in.

;;; Commentary:

;; Load this file after eglot:
;;
;;   (require 'eglot)
;;   (load "/path/to/veil/editors/emacs/veil-eglot.el")
;;   (setq veil-program "/path/to/veil")          ; if veil is not on PATH
;;   (add-hook 'prog-mode-hook #'eglot-ensure)    ; optional: start automatically
;;
;; Then M-x eglot in a buffer (or eglot-ensure from a hook): completion-at-point
;; (M-TAB, or company/corfu) lists veil's AI completion; M-x veil-ask sends
;; the region (or the current line) to `veil/chat'; the mode line shows the
;; route veil chose ("veil:local" or "veil:BLOCKED").
;;
;; eglot runs one server per buffer: veil takes the place of the language's
;; own server (pyright, gopls, ...) in the modes listed in `veil-modes'.

;;; Code:

(require 'cl-lib)
(require 'eglot)
(require 'jsonrpc)

(defgroup veil nil
  "veil: policy, redaction and a local model between your code and the AI."
  :group 'tools
  :prefix "veil-")

(defcustom veil-program "veil"
  "The veil binary: a name on `exec-path' or an absolute file name."
  :type 'string)

(defcustom veil-program-args '("lsp")
  "Arguments for `veil-program', e.g. (\"lsp\" \"--config\" \"~/veil.yaml\")."
  :type '(repeat string))

(defcustom veil-modes
  '(python-mode js-mode typescript-mode go-mode c-mode c++-mode java-mode
    ruby-mode rust-mode sh-mode css-mode html-mode mhtml-mode json-mode
    yaml-mode markdown-mode sql-mode conf-unix-mode conf-mode text-mode
    prog-mode)
  "Major modes that eglot starts veil for.
A buffer in a mode derived from one of these also gets veil.  eglot 1.9
shares one server between the buffers of a project whose mode is listed
here by name; a mode only derived from one starts its own veil process."
  :type '(repeat symbol))

(defun veil-eglot-contact (&optional _interactive)
  "The eglot contact for veil: `veil-program' and `veil-program-args'."
  (cons veil-program veil-program-args))

;; Later entries lose in eglot-server-programs: put veil first.
(setq eglot-server-programs
      (cons (cons veil-modes #'veil-eglot-contact)
            (cl-remove #'veil-eglot-contact eglot-server-programs :key #'cdr)))

;; Emacs 28 opens .env files in fundamental-mode, which no server manages;
;; conf-unix-mode lets veil see them, so it can refuse them and say why.
(add-to-list 'auto-mode-alist '("/\\.env\\(\\.[^/]*\\)?\\'" . conf-unix-mode))

;;; Route status: the `veil/status' notification and request.

(defvar-local veil-route nil
  "The route veil reported for this buffer: \"local\", \"block\", or nil.")

(defvar-local veil-route-reason nil
  "Why veil chose `veil-route'.")

(defun veil--set-status (uri route reason)
  "Record ROUTE and REASON for the buffer visiting URI."
  (let ((buf (and (stringp uri) (find-buffer-visiting (eglot--uri-to-path uri)))))
    (when buf
      (with-current-buffer buf
        (setq veil-route route
              veil-route-reason reason)
        (force-mode-line-update)))))

(cl-defmethod eglot-handle-notification
  (_server (_method (eql veil/status)) &key uri route reason &allow-other-keys)
  "Handle veil's `veil/status' notification {uri, route, reason}."
  (veil--set-status uri route reason))

(defun veil-status ()
  "Ask veil for this buffer's route and show it."
  (interactive)
  (let* ((uri (eglot--path-to-uri (buffer-file-name)))
         (res (jsonrpc-request (eglot--current-server-or-lose) :veil/status `(:uri ,uri))))
    (veil--set-status uri (plist-get res :route) (plist-get res :reason))
    (message "veil: %s (%s)" (plist-get res :route) (plist-get res :reason))
    (plist-get res :route)))

(defun veil-mode-line ()
  "A mode-line string for the current buffer's route."
  (pcase veil-route
    ('nil "")
    ("block" " veil:BLOCKED")
    (r (concat " veil:" r))))

(add-to-list 'mode-line-misc-info '(:eval (veil-mode-line)))

;;; Chat.

(defun veil-ask (question beg end)
  "Ask veil QUESTION about the region BEG..END (the current line without one).
The reply goes to the *veil chat* buffer."
  (interactive
   (let ((q (read-string "Ask veil: " nil nil "Explain this code")))
     (if (use-region-p)
         (list q (region-beginning) (region-end))
       (list q (line-beginning-position) (line-end-position)))))
  (let* ((server (eglot--current-server-or-lose))
         (range (list :start (eglot--pos-to-lsp-position beg)
                      :end (eglot--pos-to-lsp-position end)))
         (res (jsonrpc-request server :veil/chat
                               `(:message ,question
                                 :references [(:uri ,(eglot--path-to-uri (buffer-file-name))
                                               :range ,range)])))
         (reply (plist-get res :reply))
         (blocked (plist-get res :blocked))
         (skipped (plist-get res :skipped)))
    (with-current-buffer (get-buffer-create "*veil chat*")
      (goto-char (point-max))
      (insert "> " question "\n" (or reply "") "\n")
      (when (and (stringp blocked) (not (string-empty-p blocked)))
        (insert "[veil: blocked: " blocked "]\n"))
      (mapc (lambda (s) (insert "[veil: left out " s "]\n")) skipped)
      (insert "\n"))
    (display-buffer "*veil chat*")
    reply))

(provide 'veil-eglot)
;;; veil-eglot.el ends here
