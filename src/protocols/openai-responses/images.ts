import type { ImagePart } from '../../core/request.ts';

/** Responses takes images as one `image_url` string: a web URL or a base64 `data:` URL. */

const DATA_URL = /^data:([^;,]+)(?:;[^;,]*)*;base64,(.*)$/s;

export function imageSource(url: string): ImagePart['source'] {
  const match = DATA_URL.exec(url);
  return match ? { kind: 'base64', mediaType: match[1]!, data: match[2]! } : { kind: 'url', url };
}

export function imageUrl(source: ImagePart['source']): string {
  return source.kind === 'url' ? source.url : `data:${source.mediaType};base64,${source.data}`;
}
