import { describe, expect, it } from "@effect/vitest"
import { ownerOf, shardsOf } from "../../src/cluster/Assignment.js"

const members = (n: number) => Array.from({ length: n }, (_, i) => `node-${i + 1}`)

describe("Assignment", () => {
  it("gives every shard exactly one owner, the same from any member's point of view", () => {
    const live = members(5)
    const all = live.flatMap((m) => shardsOf(m, live, 128))
    expect(all.sort((a, b) => a - b)).toEqual(Array.from({ length: 128 }, (_, i) => i))
    expect(shardsOf("node-2", [...live].reverse(), 128)).toEqual(shardsOf("node-2", live, 128))
  })

  it("spreads shards evenly enough", () => {
    const live = members(4)
    for (const m of live) {
      const n = shardsOf(m, live, 1024).length
      expect(n).toBeGreaterThan(1024 / 4 * 0.75)
      expect(n).toBeLessThan(1024 / 4 * 1.25)
    }
  })

  it("moves only the leaving node's shards when a node leaves", () => {
    const before = members(4)
    const after = before.filter((m) => m !== "node-3")
    for (let shard = 0; shard < 256; shard++) {
      const was = ownerOf(shard, before)
      if (was !== "node-3") expect(ownerOf(shard, after)).toBe(was)
    }
  })

  it("moves to a joining node only shards it then owns", () => {
    const before = members(3)
    const after = [...before, "node-9"]
    let moved = 0
    for (let shard = 0; shard < 256; shard++) {
      const now = ownerOf(shard, after)
      if (now !== ownerOf(shard, before)) {
        expect(now).toBe("node-9")
        moved++
      }
    }
    expect(moved).toBeGreaterThan(256 / 4 * 0.6)
    expect(moved).toBeLessThan(256 / 4 * 1.4)
  })

  it("has no owner without members", () => {
    expect(ownerOf(3, [])).toBeUndefined()
  })
})
