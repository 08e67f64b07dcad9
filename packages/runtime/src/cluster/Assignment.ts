/**
 * Which live node should own each shard: rendezvous (highest random weight) hashing, so every
 * node derives the same answer from the same member list and a change of members moves only
 * the shards of the node that came or went.
 */
import { hashId } from "./Shards.js"

const weight = (member: string, shard: number): number => {
  // A second mixing round (murmur3's finalizer) spreads FNV's output over the whole range.
  let h = hashId(`${member}#${shard}`)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

export const ownerOf = (shard: number, members: ReadonlyArray<string>): string | undefined => {
  let best: string | undefined
  let bestWeight = -1
  for (const member of members) {
    const w = weight(member, shard)
    if (w > bestWeight || (w === bestWeight && best !== undefined && member < best)) {
      best = member
      bestWeight = w
    }
  }
  return best
}

/** The shards `member` should own among `shards` shards. */
export const shardsOf = (member: string, members: ReadonlyArray<string>, shards: number): Array<number> => {
  const mine: Array<number> = []
  for (let shard = 0; shard < shards; shard++) if (ownerOf(shard, members) === member) mine.push(shard)
  return mine
}
