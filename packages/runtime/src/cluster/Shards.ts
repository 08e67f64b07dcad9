/** Which shard a scan (or standalone job) belongs to: a stable hash of its id, modulo the cluster's shard count. */
import * as Settings from "./Settings.js"

/** FNV-1a over the id's UTF-16 code units: stable across processes and versions. */
export const hashId = (id: string): number => {
  let hash = 0x811c9dc5
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

export const shardOf = (id: string, shards: number): number => hashId(id) % shards

export const ShardCount = Settings.shards
