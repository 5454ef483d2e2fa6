//! Zed extension that starts `veil lsp` as a language server.
//!
//! The binary comes from the `lsp.veil.binary` settings when set, else from
//! `veil` on the worktree's PATH. The extension downloads nothing.

use zed_extension_api::{self as zed, settings::LspSettings, LanguageServerId, Result};

struct VeilExtension;

impl zed::Extension for VeilExtension {
    fn new() -> Self {
        VeilExtension
    }

    fn language_server_command(
        &mut self,
        language_server_id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<zed::Command> {
        let binary = LspSettings::for_worktree(language_server_id.as_ref(), worktree)
            .ok()
            .and_then(|s| s.binary);
        let path = binary
            .as_ref()
            .and_then(|b| b.path.clone())
            .or_else(|| worktree.which("veil"))
            .ok_or_else(|| {
                "veil not found: install it (go install ./cmd/veil) or set lsp.veil.binary.path"
                    .to_string()
            })?;
        let args = binary
            .and_then(|b| b.arguments)
            .unwrap_or_else(|| vec!["lsp".to_string()]);
        Ok(zed::Command {
            command: path,
            args,
            env: worktree.shell_env(),
        })
    }
}

zed::register_extension!(VeilExtension);
