/**
 * Terminal safety for text a function wrote (`nimbus logs`): a log line may hold escape sequences
 * that clear the screen, set the window title, or write the operator's clipboard (OSC 52). Every
 * control character is shown as a visible escape instead: C0 controls and DEL as `\xNN` (tab kept),
 * C1 controls (U+0080–U+009F; 0x9B is CSI on 8-bit terminals) and the bidirectional overrides
 * that can reorder what a line appears to say as `\uNNNN`. Backslashes are left alone, so paths
 * stay readable; `--raw` (exact bytes) or `--json` (JSON escapes) are the lossless forms.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function escapeControl(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
