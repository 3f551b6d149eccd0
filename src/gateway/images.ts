import { ProxyError } from '../core/errors.ts';
import type { CanonicalRequest, ImagePart, Part } from '../core/request.ts';
import type { UpstreamFetch } from '../providers/http.ts';

export interface ImageFetchPolicy {
  allowPrivate: boolean;
  maxBytes: number;
  fetch: UpstreamFetch;
  signal: AbortSignal;
}

const MAX_REDIRECTS = 3;

/** An image that takes longer than this to arrive is not worth holding the request for. */
const FETCH_TIMEOUT_MS = 30_000;

/** Whether an address is loopback, private or link-local: what an image URL must not point to. */
async function privateAddressCheck(): Promise<(address: string) => boolean> {
  const { BlockList, isIP } = await import('node:net');
  const networks = new BlockList();
  for (const [network, prefix] of [
    ['0.0.0.0', 8],
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.168.0.0', 16],
  ] as const) {
    networks.addSubnet(network, prefix, 'ipv4');
  }
  networks.addAddress('::', 'ipv6');
  networks.addAddress('::1', 'ipv6');
  networks.addSubnet('fc00::', 7, 'ipv6');
  networks.addSubnet('fe80::', 10, 'ipv6');
  return (address) => {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    if (mapped) return networks.check(mapped, 'ipv4');
    return networks.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
  };
}

// Made with the first image URL, not at start: `serve` needs node:net and node:dns for nothing else.
let isPrivateAddress: Promise<(address: string) => boolean> | undefined;

/**
 * Replaces URL images by inline base64 data, for upstreams that take nothing else.
 * Each distinct URL is fetched once; the request is not modified in place.
 */
export async function inlineImages(request: CanonicalRequest, policy: ImageFetchPolicy): Promise<CanonicalRequest> {
  const cache = new Map<string, Promise<ImagePart>>();
  const inline = (part: ImagePart): Promise<ImagePart> => {
    if (part.source.kind !== 'url') return Promise.resolve(part);
    const url = part.source.url;
    let fetched = cache.get(url);
    if (!fetched) {
      fetched = fetchImage(url, policy);
      cache.set(url, fetched);
    }
    return fetched;
  };
  const inlineParts = async <T extends Part>(parts: T[]): Promise<T[]> =>
    Promise.all(
      parts.map(async (part) => {
        if (part.type === 'image') return (await inline(part)) as T;
        if (part.type === 'tool_result') return { ...part, content: await inlineParts(part.content) } as T;
        return part;
      }),
    );
  const messages = await Promise.all(request.messages.map(async (message) => ({ ...message, content: await inlineParts(message.content) })));
  return { ...request, messages };
}

async function fetchImage(url: string, policy: ImageFetchPolicy): Promise<ImagePart> {
  let current = new URL(url);
  for (let redirects = 0; ; redirects++) {
    if (current.protocol !== 'http:' && current.protocol !== 'https:') throw refused(url, 'only http(s) image URLs can be fetched');
    if (!policy.allowPrivate) await assertPublicHost(current, url);
    const signal = AbortSignal.any([policy.signal, AbortSignal.timeout(FETCH_TIMEOUT_MS)]);
    const response = await policy.fetch(current.href, { redirect: 'manual', signal }).catch((error: Error) => {
      throw refused(url, `it could not be fetched (${error.message})`);
    });
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      if (redirects >= MAX_REDIRECTS) throw refused(url, 'it redirects too often');
      current = new URL(location, current);
      continue;
    }
    if (!response.ok) throw refused(url, `it answered HTTP ${response.status}`);
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
    if (!mediaType.startsWith('image/')) throw refused(url, `it is not an image (${mediaType || 'no content type'})`);
    const bytes = await readLimited(response, policy.maxBytes, url);
    return { type: 'image', source: { kind: 'base64', mediaType, data: bytes.toString('base64') } };
  }
}

/** Refuses hosts that resolve to private or loopback addresses: a request must not probe the LAN. */
async function assertPublicHost(url: URL, original: string): Promise<void> {
  const [{ isIP }, { lookup }, isPrivate] = await Promise.all([
    import('node:net'),
    import('node:dns/promises'),
    (isPrivateAddress ??= privateAddressCheck()),
  ]);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true }).catch(() => [])).map((entry) => entry.address);
  if (addresses.length === 0) throw refused(original, `its host ${host} does not resolve`);
  if (addresses.some(isPrivate)) throw refused(original, 'it points to a private or loopback address (see images.allow-private-urls)');
}

async function readLimited(response: Response, maxBytes: number, url: string): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw refused(url, `it is larger than ${maxBytes} bytes (images.max-bytes)`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function refused(url: string, reason: string): ProxyError {
  return new ProxyError('invalid_request', `The image ${url.slice(0, 200)} was not used: ${reason}.`, { code: 'invalid_image_url' });
}
