// The one JSON string skip of the cheap pre-scans (parse-budget.ts,
// float-lexeme.ts): they walk raw JSON text without building anything and
// must step over strings, whose content may hold any bracket, comma or digit.

/**
 * Index of the quote that ends the JSON string opening at `open` (one not
 * escaped by an odd run of backslashes), or -1 when the text ends first.
 */
export function jsonStringEnd(text: string, open: number): number {
  let from = open;
  for (;;) {
    const q = text.indexOf('"', from + 1);
    if (q === -1) return -1;
    let b = q - 1;
    while (text.charCodeAt(b) === 0x5c) b--;
    if ((q - b) % 2 === 1) return q;
    from = q;
  }
}
