import { ProxyError } from '../../core/errors.ts';
import type { ImagePart } from '../../core/request.ts';

/** Ollama images are bare base64; other protocols need a media type, so read it from the magic bytes. */
export function imageFromOllama(data: string): ImagePart {
  return { type: 'image', source: { kind: 'base64', mediaType: sniffMediaType(data), data } };
}

/** When the bytes match no known format: JPEG is what cameras and most clients send. */
const DEFAULT_MEDIA_TYPE = 'image/jpeg';

function sniffMediaType(base64: string): string {
  // 16 base64 characters decode to the 12 bytes every signature below fits in.
  const head = Buffer.from(base64.slice(0, 16), 'base64');
  const ascii = head.toString('latin1');
  if (head[0] === 0x89 && ascii.slice(1, 4) === 'PNG') return 'image/png';
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  if (ascii.startsWith('GIF8')) return 'image/gif';
  if (ascii.startsWith('RIFF') && ascii.slice(8, 12) === 'WEBP') return 'image/webp';
  return DEFAULT_MEDIA_TYPE;
}

/** The base64 Ollama takes. URL images never get here: the codec declares `inlineImagesOnly`. */
export function imageToOllama(part: ImagePart): string {
  if (part.source.kind === 'base64') return part.source.data;
  throw new ProxyError('internal', 'An image URL reached the Ollama encoder; the gateway should have inlined it.');
}
