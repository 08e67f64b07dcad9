/** What `mirage sources` prints: the sources, then each configured key by label and fingerprint with its state. */
import { describe, expect, it } from "@effect/vitest"
import { Source, SourceKey, SourceList, SourceRateLimit } from "@mirage/domain/api/CollectApi"
import { ModuleId } from "@mirage/domain/Ids"
import { DateTime } from "effect"
import * as Output from "../src/Output.js"

const at = (iso: string) => DateTime.unsafeMake(iso)

const source = (id: string, keys: ReadonlyArray<SourceKey>, requires_key = true) =>
  Source.make({
    id,
    name: id,
    module_ids: [ModuleId.make(`${id}_host`)],
    rate_limit: SourceRateLimit.make({ requests: 1, per_seconds: 1, burst: 1 }),
    requires_key,
    key_configured: keys.length > 0,
    keys,
    proxy: true,
    state: "ok",
    rate_limited_until: null,
    last_error: null,
    last_error_at: null
  })

const key = (label: string, fingerprint: string, fields: Partial<SourceKey> = {}) =>
  SourceKey.make({
    label,
    fingerprint,
    state: "ok",
    rate_limited_until: null,
    parked_reason: null,
    parked_until: null,
    ...fields
  })

describe("Output.sourcesText", () => {
  it("prints one line per key: ok, rate limited until when, parked until when and why", () => {
    const text = Output.sourcesText(SourceList.make({
      items: [
        source("shodan", [
          key("key-1", "3f0c9a1e", {
            state: "parked",
            parked_reason: "credentials rejected (HTTP 401)",
            parked_until: at("2026-01-02T03:04:05.000Z")
          }),
          key("key-2", "9b1d3f5a", { state: "rate_limited", rate_limited_until: at("2026-01-02T03:00:00.000Z") }),
          key("key-3", "0a9b8c7d")
        ]),
        source("crtsh", [], false),
        source("censys", [])
      ]
    }))
    const lines = text.split("\n")
    expect(lines.find((l) => l.startsWith("shodan "))).toMatch(/3 configured/)
    expect(lines.find((l) => l.startsWith("censys "))).toMatch(/missing/)
    expect(lines).toContain(
      "shodan  key-1  3f0c9a1e     parked        2026-01-02T03:04:05.000Z  credentials rejected (HTTP 401)"
    )
    expect(lines).toContain("shodan  key-2  9b1d3f5a     rate_limited  2026-01-02T03:00:00.000Z")
    expect(lines).toContain("shodan  key-3  0a9b8c7d     ok")
    // No key table without keys.
    expect(Output.sourcesText(SourceList.make({ items: [source("crtsh", [], false)] }))).not.toContain("FINGERPRINT")
  })
})
