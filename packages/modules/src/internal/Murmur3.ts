/**
 * MurmurHash3, x86 32-bit variant (Austin Appleby's public-domain algorithm): the hash Shodan uses
 * for favicons. Bytes in, a signed 32-bit integer out, as Python's `mmh3.hash` returns it.
 */

const c1 = 0xcc9e2d51
const c2 = 0x1b873593

const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r))

/** The signed 32-bit hash of `bytes` with `seed` (0 by default). */
export const murmur3x86_32 = (bytes: Uint8Array, seed = 0): number => {
  let h = seed | 0
  const blocks = bytes.length >>> 2
  for (let i = 0; i < blocks; i++) {
    const at = i * 4
    let k = bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)
    k = Math.imul(k, c1)
    k = rotl(k, 15)
    k = Math.imul(k, c2)
    h ^= k
    h = rotl(h, 13)
    h = (Math.imul(h, 5) + 0xe6546b64) | 0
  }
  const tail = blocks * 4
  const rest = bytes.length & 3
  if (rest > 0) {
    let k = 0
    if (rest === 3) k ^= bytes[tail + 2]! << 16
    if (rest >= 2) k ^= bytes[tail + 1]! << 8
    k ^= bytes[tail]!
    k = Math.imul(k, c1)
    k = rotl(k, 15)
    k = Math.imul(k, c2)
    h ^= k
  }
  h ^= bytes.length
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h | 0
}

/** Base64 as Python's `base64.encodebytes` writes it: lines of 76 characters, each ending in a newline. */
export const base64Lines = (bytes: Uint8Array): string => {
  const text = Buffer.from(bytes).toString("base64")
  const lines: Array<string> = []
  for (let i = 0; i < text.length; i += 76) lines.push(`${text.slice(i, i + 76)}\n`)
  return lines.join("")
}

/** Shodan's `http.favicon.hash` of an icon's bytes. */
export const faviconHash = (bytes: Uint8Array): number => murmur3x86_32(Buffer.from(base64Lines(bytes), "ascii"))
