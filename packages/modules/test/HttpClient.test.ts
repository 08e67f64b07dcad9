/** The default HTTP client's body encodings: text as UTF-8, bytes kept whole when base64 is asked for. */
import { describe, expect, it } from "@effect/vitest"
import { makeHttpClient } from "@mirage/modules/HttpClient"
import * as FixtureServer from "@mirage/testkit/FixtureServer"
import { Effect } from "effect"

const bytes = Uint8Array.from({ length: 256 }, (_, i) => i)

describe("HttpClient", () => {
  it.scoped("a binary body arrives whole as base64, and mangled as text", () =>
    Effect.gen(function*() {
      const server = yield* FixtureServer.make([{
        request: { path: "/icon" },
        response: {
          status: 200,
          headers: { "content-type": "image/x-icon" },
          body_base64: Buffer.from(bytes).toString("base64")
        },
        times: 2
      }])
      const http = makeHttpClient({ timeoutMs: 5_000 })
      const encoded = yield* http.get(`${server.url}/icon`, { bodyEncoding: "base64" })
      expect(Buffer.from(encoded.body, "base64")).toEqual(Buffer.from(bytes))
      const text = yield* http.get(`${server.url}/icon`)
      expect(Buffer.from(text.body, "utf8").equals(Buffer.from(bytes))).toBe(false)
      yield* server.verify
    }))
})
