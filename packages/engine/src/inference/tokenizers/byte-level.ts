/**
 * GPT-2's reversible byte ↔ printable-character map (`bytes_to_unicode`): printable Latin-1 bytes map to
 * themselves, the remaining 68 bytes to U+0100 onwards, in byte order. Byte-level BPE vocabularies are written
 * in these characters.
 */
function buildByteToChar(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const isPrintable = new Set(printable);
  const map: string[] = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    map[b] = isPrintable.has(b) ? String.fromCodePoint(b) : String.fromCodePoint(256 + extra++);
  }
  return map;
}

const BYTE_TO_CHAR = buildByteToChar();
const encoder = new TextEncoder();

/** The byte-level alphabet: character for each byte value 0..255. */
export function byteLevelAlphabet(): readonly string[] {
  return BYTE_TO_CHAR;
}

/** Maps a string's UTF-8 bytes to byte-level symbols, one symbol (one character) per byte. */
export function toByteLevelSymbols(text: string): string[] {
  const bytes = encoder.encode(text);
  const out = new Array<string>(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = BYTE_TO_CHAR[bytes[i]];
  return out;
}
