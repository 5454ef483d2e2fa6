;;; driver.el --- drive eglot + veil-eglot.el headless  -*- lexical-binding: t; -*-

;; Run by editors/emacs_test.go:
;;
;;   emacs --batch -q -l eglot -l editors/emacs/veil-eglot.el -l test/driver.el
;;
;; Environment: VEIL_BIN, VEIL_WORKDIR (main.py, .env), VEIL_RESULT. Opens the
;; files as a user would (eglot-ensure from the mode hook), asks for
;; completions through eglot's completion-at-point, and records what the user
;; sees (messages, mode line) as JSON.

(require 'json)
(require 'cl-lib)

(defvar veil-test-result nil "Alist written to VEIL_RESULT.")
(defvar veil-test-messages nil "Every eglot message, newest first.")
(defvar veil-test-timeout 20 "Seconds to wait for each step.")

(defun veil-test-put (key value)
  (setq veil-test-result (cons (cons key value) (assq-delete-all key veil-test-result))))

(defun veil-test-wait (pred)
  "Process output until PRED is non-nil or the timeout passes; return PRED's value."
  (let ((deadline (+ (float-time) veil-test-timeout))
        (v nil))
    (while (and (not (setq v (funcall pred))) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    v))

(advice-add 'eglot--message :before
            (lambda (fmt &rest args)
              (push (substring-no-properties (apply #'format fmt args)) veil-test-messages)))

(defun veil-test-open (file)
  "Visit FILE and start or join veil the way `eglot-ensure' does."
  (find-file file)
  (eglot-ensure)
  (run-hooks 'post-command-hook) ; eglot-ensure connects on the next command
  (veil-test-wait (lambda () (bound-and-true-p eglot--managed-mode))))

(defun veil-test-run ()
  (setq veil-program (getenv "VEIL_BIN"))
  (setq eglot-sync-connect veil-test-timeout)
  (let ((work (file-name-as-directory (getenv "VEIL_WORKDIR"))))
    ;; 1. main.py: attached, route local, completion through eglot's capf.
    (veil-test-put 'attached (and (veil-test-open (concat work "main.py")) t))
    (veil-test-put 'server (and (eglot-current-server) (process-command (jsonrpc--process (eglot-current-server)))))
    (veil-test-wait (lambda () veil-route))
    (veil-test-put 'src_route_notified veil-route)
    (veil-test-put 'src_route (veil-status))
    (goto-char (point-min))
    (search-forward "complete here")
    (forward-line 1)
    (end-of-line)
    (let* ((capf (eglot-completion-at-point))
           (probe (buffer-substring-no-properties (nth 0 capf) (nth 1 capf)))
           (table (nth 2 capf))
           (all (all-completions "" table))
           (matching (all-completions probe table)))
      (veil-test-put 'probe probe)
      (veil-test-put 'completions (vconcat (mapcar #'substring-no-properties all)))
      (veil-test-put 'matching (length matching)))
    ;; 2. veil-ask on the current line.
    (veil-test-put 'chat (veil-ask "what does this line do?" (line-beginning-position) (line-end-position)))
    ;; 3. .env: eglot manages it (same project, a veil mode); veil refuses it:
    ;; no candidates, and one warning on the first request.
    (veil-test-put 'env_attached (and (veil-test-open (concat work ".env")) t))
    (veil-test-put 'env_mode (symbol-name major-mode))
    (veil-test-put 'servers (hash-table-count eglot--servers-by-project))
    (veil-test-wait (lambda () veil-route))
    (veil-test-put 'env_route (veil-status))
    (veil-test-put 'mode_line (veil-mode-line))
    ;; Flymake runs its backends from idle timers, which batch mode never
    ;; fires; start it by hand as the first idle moment would.
    (flymake-start)
    (veil-test-put 'flymake (and (bound-and-true-p flymake-mode) t))
    (veil-test-put 'env_diagnostics
                   (vconcat (veil-test-wait
                             (lambda () (mapcar #'flymake-diagnostic-text (flymake-diagnostics))))))
    (goto-char (point-min))
    (let ((capf (eglot-completion-at-point)))
      (veil-test-put 'env_completions (length (and capf (all-completions "" (nth 2 capf))))))
    (veil-test-put 'env_warned
                   (and (veil-test-wait
                         (lambda () (cl-some (lambda (m) (string-match-p "type=2" m)) veil-test-messages)))
                        t))))

(let ((ok t))
  (condition-case err
      (veil-test-run)
    (error (setq ok nil)
           (veil-test-put 'error (error-message-string err))))
  (veil-test-put 'messages (vconcat (reverse veil-test-messages)))
  (with-temp-file (getenv "VEIL_RESULT")
    (insert (json-encode veil-test-result)))
  (ignore-errors (eglot-shutdown-all))
  (kill-emacs (if ok 0 1)))

;;; driver.el ends here
