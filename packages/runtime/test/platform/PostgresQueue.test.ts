/**
 * The postgres driver's queues, as patched (patches/postgres+3.4.9.patch): a connection queue that never empties (a
 * pool kept saturated, where every query goes to a busy connection) keeps its size, instead of growing by a hole
 * per query for as long as it stays busy with every `remove` scanning the holes. Unpatched, a gateway whose pool
 * stayed saturated for a minute spent 5× the CPU per query it spent at first.
 */
import { describe, expect, it } from "@effect/vitest"
import { setFlagsFromString } from "node:v8"
import { getHeapStatistics } from "node:v8"
import { runInNewContext } from "node:vm"

interface Queue<A> {
  readonly length: number
  readonly remove: (x: A) => A | null
  readonly push: (x: A) => A
  readonly shift: () => A | undefined
}

// The module the driver's ESM build imports (the package's exports do not name it).
const { default: Queue } = await import(
  new URL("../../../../node_modules/postgres/src/queue.js", import.meta.url).href
) as { readonly default: <A>(initial?: ReadonlyArray<A>) => Queue<A> }

setFlagsFromString("--expose-gc")
const collect = runInNewContext("gc") as () => void

describe("the postgres driver's Queue", () => {
  it("stays first in, first out through shifts, removals and its compaction", () => {
    const queue = Queue<number>()
    const model: Array<number> = []
    let next = 0
    // Two in, one out, and every seventh removed from the middle: past the compaction point many times over.
    for (let round = 0; round < 20_000; round++) {
      model.push(queue.push(next), queue.push(next + 1))
      next += 2
      expect(queue.shift()).toBe(model.shift())
      if (round % 7 === 0) {
        const victim = model[Math.floor(model.length / 2)]!
        expect(queue.remove(victim)).toBe(victim)
        model.splice(model.indexOf(victim), 1)
      }
      // Shifted entries are gone, not found again.
      if (round % 1000 === 0) expect(queue.remove(round === 0 ? -1 : 0)).toBe(null)
    }
    expect(queue.length).toBe(model.length)
    const rest: Array<number | undefined> = []
    while (queue.length > 0) rest.push(queue.shift())
    expect(rest).toEqual(model)
  })

  it("does not grow while it never empties", () => {
    const queue = Queue<object>()
    const entries = [{}, {}]
    queue.push(entries[0]!)
    queue.push(entries[1]!)
    collect()
    const before = getHeapStatistics().used_heap_size
    // A saturated pool: each query takes a busy connection off the queue and puts it back at the end.
    for (let i = 0; i < 2_000_000; i++) queue.push(queue.shift()!)
    collect()
    const grown = getHeapStatistics().used_heap_size - before
    expect(queue.length).toBe(2)
    // Unpatched: a slot per shift, 2,000,000 of them (≥ 16 MB).
    expect(grown).toBeLessThan(4 * 1024 * 1024)
  })
})
