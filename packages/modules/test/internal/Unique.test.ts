/** uniqueBy: one of each key, the first, in order, in linear time. */
import { describe, expect, it } from "@effect/vitest"
import { uniqueBy } from "@mirage/modules/internal/Unique"

describe("uniqueBy", () => {
  it("keeps the first item of each key, in order", () => {
    const items = [{ k: "b", n: 1 }, { k: "a", n: 2 }, { k: "b", n: 3 }, { k: "c", n: 4 }, { k: "a", n: 5 }]
    expect(uniqueBy(items, (item) => item.k).map((item) => item.n)).toEqual([1, 2, 4])
  })

  it("200,000 items, half of them repeats, in linear time", () => {
    // Comparing each item with every kept one (Array.dedupeWith) takes minutes here.
    const items = Array.from({ length: 200_000 }, (_, i) => `name-${i % 100_000}.example.test`)
    const kept = uniqueBy(items, (item) => item)
    expect(kept).toHaveLength(100_000)
    expect(kept[99_999]).toBe("name-99999.example.test")
  }, 5_000)
})
