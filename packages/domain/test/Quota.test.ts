import { describe, expect, it } from "@effect/vitest"
import { deriveUuid, ScanId } from "@mirage/domain/Ids"
import { dueStarts, startOf } from "@mirage/domain/Quota"

const scan = (name: string) => ScanId.make(deriveUuid("quota-test", name))

describe("dueStarts", () => {
  it("starts each due scan, in the order the quota admitted them", () => {
    const due = [scan("b"), scan("a"), scan("c")]
    const starts = dueStarts(due)
    expect(starts.map((s) => s.target)).toEqual(due)
    expect(starts.every((s) => s.command._tag === "StartScan")).toBe(true)
  })

  it("gives a scan the same command id on every path, and each scan its own", () => {
    const [first] = dueStarts([scan("a")])
    const [again] = dueStarts([scan("b"), scan("a")]).slice(1)
    expect(again!.command_id).toBe(first!.command_id)
    expect(dueStarts([scan("b")])[0]!.command_id).not.toBe(first!.command_id)
    // The id deployed nodes already send: a start sent before and after an upgrade is still one start.
    expect(first!.command_id).toBe(deriveUuid("quota", scan("a"), "start"))
  })

  it("starts nothing when nothing is due", () => {
    expect(dueStarts([])).toEqual([])
  })
})

describe("startOf", () => {
  it("derives the command id from the reason and the scan", () => {
    expect(startOf(scan("a"), "chain")).toEqual({
      target: scan("a"),
      command_id: deriveUuid("chain", scan("a"), "start"),
      command: { _tag: "StartScan" }
    })
    expect(startOf(scan("a"), "chain").command_id).not.toBe(startOf(scan("a"), "quota").command_id)
  })
})
