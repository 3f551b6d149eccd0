import type { ImagePart } from '../core/request.ts';

// Parameters such as `;charset=…` may sit between the media type and `;base64`.
const DATA_URL = /^data:([^;,]+)(?:;[^;,]*)*;base64,(.*)$/s;

/** An image given as a URL: `data:` URLs become inline base64, anything else stays a URL. */
export function imagePartFromUrl(url: string): ImagePart {
  const match = DATA_URL.exec(url);
  if (match) return { type: 'image', source: { kind: 'base64', mediaType: match[1]!, data: match[2]! } };
  return { type: 'image', source: { kind: 'url', url } };
}

/** The URL form of an image part (`data:` URL for inline data), for protocols that take URLs. */
export function imagePartToUrl(part: ImagePart): string {
  return part.source.kind === 'url' ? part.source.url : `data:${part.source.mediaType};base64,${part.source.data}`;
}
