import { crc32, inflateSync } from "node:zlib";
import { InvalidImageError, PngTextChunkError } from "./image-errors.js";

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const TEXT_TYPES = new Set(["tEXt", "zTXt", "iTXt"]);
// Guards against decompression bombs in zTXt/iTXt; far above any real workflow JSON.
const MAX_INFLATED_TEXT = 64 * 1024 * 1024;

interface ChunkRef {
  readonly type: string;
  readonly start: number; // offset of the length field
  readonly dataStart: number;
  readonly dataEnd: number;
  readonly end: number; // offset after the CRC
}

/** True when the bytes start with the PNG signature. */
export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= PNG_SIGNATURE.length && PNG_SIGNATURE.equals(bytes.subarray(0, PNG_SIGNATURE.length));
}

// Walks the chunk list up to and including IEND; a chunk running past the end of the bytes is a broken file.
function* chunksOf(png: Buffer): Generator<ChunkRef> {
  if (!isPng(png)) throw new InvalidImageError("not a PNG file (bad signature)");
  let offset = PNG_SIGNATURE.length;
  while (offset < png.length) {
    if (offset + 12 > png.length) throw new InvalidImageError("truncated PNG chunk header", { offset });
    const length = png.readUInt32BE(offset);
    const type = png.toString("latin1", offset + 4, offset + 8);
    const end = offset + 12 + length;
    if (end > png.length)
      throw new InvalidImageError(`PNG chunk ${type} runs past the end of the file`, { offset, length });
    yield { type, start: offset, dataStart: offset + 8, dataEnd: offset + 8 + length, end };
    if (type === "IEND") return;
    offset = end;
  }
  throw new InvalidImageError("PNG file has no IEND chunk");
}

function crcOk(png: Buffer, chunk: ChunkRef): boolean {
  return crc32(png.subarray(chunk.start + 4, chunk.dataEnd)) === png.readUInt32BE(chunk.dataEnd);
}

function keywordOf(png: Buffer, chunk: ChunkRef): string | null {
  const nul = png.indexOf(0, chunk.dataStart);
  if (nul < 0 || nul >= chunk.dataEnd) return null;
  return png.toString("latin1", chunk.dataStart, nul);
}

/** Keyword rules of the PNG spec: 1–79 Latin-1 printable characters, no leading, trailing or double spaces. */
function validateKeyword(keyword: string): void {
  if (keyword.length < 1 || keyword.length > 79)
    throw new PngTextChunkError(keyword, "keywords must be 1 to 79 characters");
  for (let i = 0; i < keyword.length; i++) {
    const c = keyword.charCodeAt(i);
    if (!((c >= 32 && c <= 126) || (c >= 161 && c <= 255)))
      throw new PngTextChunkError(keyword, `character ${i} is not printable Latin-1`);
  }
  if (keyword.startsWith(" ") || keyword.endsWith(" ") || keyword.includes("  ")) {
    throw new PngTextChunkError(keyword, "keywords may not start or end with a space or hold two spaces in a row");
  }
}

/**
 * Pillow writes tEXt whenever the text encodes as Latin-1; we narrow that to ASCII because libvips (sharp's
 * `metadata().comments`) decodes tEXt as UTF-8 and garbles Latin-1 bytes above 0x7F. Pillow and InvokeAI read
 * iTXt just as well, so every reader gets the same string back.
 */
function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** One PNG chunk: length, type, data and the CRC over type + data. */
export function encodePngChunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "latin1");
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** Encodes one text chunk: uncompressed tEXt for ASCII text, uncompressed UTF-8 iTXt otherwise. */
export function encodePngTextChunk(keyword: string, text: string): Buffer {
  validateKeyword(keyword);
  if (text.includes("\0")) throw new PngTextChunkError(keyword, "the text contains a NUL character");
  if (isAscii(text))
    return encodePngChunk("tEXt", Buffer.concat([Buffer.from(`${keyword}\0`, "latin1"), Buffer.from(text, "latin1")]));
  // keyword \0, compression flag 0, method 0, empty language tag \0, empty translated keyword \0, UTF-8 text.
  const head = Buffer.concat([Buffer.from(keyword, "latin1"), Buffer.from([0, 0, 0, 0, 0])]);
  return encodePngChunk("iTXt", Buffer.concat([head, Buffer.from(text, "utf8")]));
}

/**
 * Returns a copy of `png` with the given text chunks inserted before the first IDAT (where sharp/libpng read them).
 * Existing tEXt/zTXt/iTXt chunks with the same keywords are dropped, so re-saving never duplicates metadata.
 */
export function writePngTextChunks(png: Uint8Array, chunks: Readonly<Record<string, string>>): Buffer {
  const bytes = Buffer.isBuffer(png) ? png : Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  const entries = Object.entries(chunks);
  const inserted = entries.map(([keyword, text]) => encodePngTextChunk(keyword, text));
  const replaced = new Set(entries.map(([keyword]) => keyword));
  const parts: Buffer[] = [bytes.subarray(0, PNG_SIGNATURE.length)];
  let runStart = PNG_SIGNATURE.length;
  let placed = false;
  for (const chunk of chunksOf(bytes)) {
    const drop = TEXT_TYPES.has(chunk.type) && replaced.has(keywordOf(bytes, chunk) ?? "");
    const insertHere = !placed && (chunk.type === "IDAT" || chunk.type === "IEND");
    if (drop || insertHere) {
      parts.push(bytes.subarray(runStart, chunk.start));
      runStart = chunk.start;
    }
    if (insertHere) {
      parts.push(...inserted);
      placed = true;
    }
    if (drop) runStart = chunk.end;
    if (chunk.type === "IEND") {
      parts.push(bytes.subarray(runStart, chunk.end));
      break;
    }
  }
  return Buffer.concat(parts);
}

function decodeTextChunk(png: Buffer, chunk: ChunkRef): [string, string] | null {
  const data = png.subarray(chunk.dataStart, chunk.dataEnd);
  const nul = data.indexOf(0);
  if (nul < 1) return null;
  const keyword = data.toString("latin1", 0, nul);
  if (chunk.type === "tEXt") return [keyword, data.toString("latin1", nul + 1)];
  if (chunk.type === "zTXt") {
    if (data[nul + 1] !== 0) return null; // only deflate is defined
    return [keyword, inflateSync(data.subarray(nul + 2), { maxOutputLength: MAX_INFLATED_TEXT }).toString("latin1")];
  }
  const compressed = data[nul + 1] === 1;
  const languageEnd = data.indexOf(0, nul + 3);
  const translatedEnd = languageEnd < 0 ? -1 : data.indexOf(0, languageEnd + 1);
  if (translatedEnd < 0) return null;
  const body = data.subarray(translatedEnd + 1);
  if (!compressed) return [keyword, body.toString("utf8")];
  if (data[nul + 2] !== 0) return null;
  return [keyword, inflateSync(body, { maxOutputLength: MAX_INFLATED_TEXT }).toString("utf8")];
}

/**
 * Reads every tEXt, zTXt and iTXt chunk (before or after the image data). A later chunk with the same keyword wins,
 * as in Pillow. Text chunks with a bad CRC or undecodable contents are skipped (they are ancillary); a broken chunk
 * structure or a non-PNG input is an InvalidImageError.
 */
export function readPngTextChunks(png: Uint8Array): Record<string, string> {
  const bytes = Buffer.isBuffer(png) ? png : Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  const result = new Map<string, string>();
  for (const chunk of chunksOf(bytes)) {
    if (!TEXT_TYPES.has(chunk.type) || !crcOk(bytes, chunk)) continue;
    let entry: [string, string] | null;
    try {
      entry = decodeTextChunk(bytes, chunk);
    } catch {
      entry = null; // corrupt deflate stream or a bomb: skip this chunk only
    }
    if (entry !== null) result.set(entry[0], entry[1]);
  }
  return Object.fromEntries(result); // fromEntries, not assignment: a "__proto__" keyword stays a plain key
}
