import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { escapeControl } from './escape.js';

describe('escapeControl', () => {
  it('shows clear-line, window-title and OSC 52 clipboard sequences as visible text', () => {
    assert.equal(escapeControl('\x1b[2K\rnothing to see'), '\\x1b[2K\\x0dnothing to see');
    assert.equal(escapeControl('\x1b]0;pwned\x07'), '\\x1b]0;pwned\\x07');
    assert.equal(escapeControl('\x1b]52;c;ZWNobyBoaQ==\x1b\\'), '\\x1b]52;c;ZWNobyBoaQ==\\x1b\\');
  });

  it('escapes every C0 control but tab, DEL, C1 controls (8-bit CSI) and bidi overrides', () => {
    for (let c = 0; c < 0x20; c++) {
      const out = escapeControl(String.fromCharCode(c));
      if (c === 9) assert.equal(out, '\t');
      else assert.equal(out, `\\x${c.toString(16).padStart(2, '0')}`);
    }
    assert.equal(escapeControl('\x7f'), '\\x7f');
    assert.equal(escapeControl('\u009b31m'), '\\u009b31m');
    assert.equal(escapeControl('a\u202eb\u2066c'), 'a\\u202eb\\u2066c');
    assert.equal(escapeControl('line\nfake line'), 'line\\x0afake line');
  });

  it('leaves ordinary text alone: Unicode, emoji, backslashes, tabs', () => {
    const text = 'héllo 😀 C:\\temp\\x1b\tdone — ünïcode';
    assert.equal(escapeControl(text), text);
  });
});
