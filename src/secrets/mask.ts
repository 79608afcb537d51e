/**
 * Masks secret values in an instance's captured output (stdout/stderr lines on the host, before
 * the log gate cuts or stores them), for the secrets that instance received.
 *
 * Output reaches the host as lines, one or more per write, so a value may arrive split over
 * consecutive lines of a stream (`process.stdout.write` in pieces, or a line the shim cut at
 * 16 KB). Per stream the masker keeps the last characters it saw (unmasked, in memory only):
 * - a value that ends in this line and began in the earlier ones has its part in this line masked;
 * - output that ends with the first 4+ characters of a value has the part of it in this line
 *   masked, since the rest may follow (at worst a harmless false positive in the log).
 * Shorter pieces of a split value (under 4 characters) can get through; whole values cannot.
 *
 * Values under 4 characters are not masked at all: `***` in place of every `1` or `yes` in a log
 * would make logs unreadable while hiding nothing a guess could not find. Multi-line values (PEM
 * keys) are masked line by line as well, for their lines of 4+ characters.
 */
export const MASK = '***';
/** What the shim appends to a line it cut (sandbox/capture.ts). */
const CUT = '…[truncated]';
/** Shortest value (or line of a value) that is masked. */
export const MIN_MASKED = 4;

export class SecretMasker {
  private readonly needles: string[];
  private readonly longest: number;
  private readonly tails = new Map<string, string>();

  constructor(values: Iterable<string>) {
    const set = new Set<string>();
    for (const v of values) {
      if (v.length >= MIN_MASKED) set.add(v);
      if (v.includes('\n')) for (const line of v.split(/\r?\n/)) if (line.length >= MIN_MASKED) set.add(line);
    }
    // Longest first, so a value that contains another is masked whole.
    this.needles = [...set].sort((a, b) => b.length - a.length);
    this.longest = this.needles[0]?.length ?? 0;
  }

  get empty(): boolean {
    return this.needles.length === 0;
  }

  /** Mask one captured line of `stream`. */
  mask(stream: string, line: string): string {
    if (this.needles.length === 0) return line;
    const tail = this.tails.get(stream) ?? '';
    const text = tail + line;
    const hidden = new Uint8Array(line.length);
    for (const needle of this.needles) {
      for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + 1)) {
        const end = i + needle.length;
        if (end <= tail.length) continue;
        hidden.fill(1, Math.max(0, i - tail.length), end - tail.length);
      }
      // The text ends with the start of a value (the rest may come in the next line): mask the
      // part of it in this line. Candidates are found by the value's first characters.
      // A line the shim cut at 16 KB ends with its marker: the value's start sits before it.
      const end = text.length - (line.endsWith(CUT) ? CUT.length : 0);
      const head = needle.slice(0, MIN_MASKED);
      for (let p = text.indexOf(head, Math.max(0, end - needle.length + 1)); p !== -1 && p <= end - MIN_MASKED; p = text.indexOf(head, p + 1)) {
        if (needle.startsWith(text.slice(p, end))) {
          hidden.fill(1, Math.max(0, p - tail.length), end - tail.length);
          break;
        }
      }
    }
    this.tails.set(stream, text.slice(Math.max(0, text.length - (this.longest - 1))));
    if (!hidden.includes(1)) return line;
    let out = '';
    for (let i = 0; i < line.length;) {
      if (hidden[i] === 0) {
        out += line[i++];
        continue;
      }
      while (i < line.length && hidden[i] === 1) i++;
      out += MASK;
    }
    return out;
  }

  /** Mask a whole text (an error message) with no history. */
  maskText(text: string): string {
    if (this.needles.length === 0) return text;
    let out = text;
    for (const needle of this.needles) out = out.split(needle).join(MASK);
    return out;
  }
}
