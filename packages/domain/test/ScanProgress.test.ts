/** A scan's progress per module: task counts and results, and why the module's latest failed task failed. */
import { describe, expect, it } from "@effect/vitest"
import { moduleProgress } from "@mirage/domain/ScanProgress"
import { domain, Driver } from "./support.js"

describe("module progress", () => {
  it("counts each module's tasks and carries the error of its last-planned failed task", () => {
    const d = new Driver({})
    d.start()
    const dns = d.task("dns", "example.com")
    d.begin(dns)
    d.succeed(dns, [domain("a.example.com"), domain("b.example.com")])
    const first = d.task("crtsh", "example.com")
    d.begin(first)
    d.fail(first, "HTTP 503 from crt.sh")
    const later = d.task("crtsh", "b.example.com")
    d.begin(later)
    d.fail(later, "HTTP 429 from crt.sh")

    const byId = Object.fromEntries(moduleProgress(d.scan).map((m) => [m.module_id, m]))
    expect(byId["dns"]).toMatchObject({ completed: 1, failed: 0, result_count: 2, last_error: null })
    expect(byId["crtsh"]).toMatchObject({ failed: 2, last_error: "HTTP 429 from crt.sh" })
  })
})
