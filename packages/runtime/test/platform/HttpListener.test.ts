import { describe, expect, it } from "@effect/vitest"
import type { AddressInfo } from "node:net"
import { createStartingServer } from "../../src/platform/HttpListener.js"

const listen = (server: ReturnType<typeof createStartingServer>) =>
  new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)))

describe("HttpListener", () => {
  it("answers 503 until the app's handler is attached, then only the app answers", async () => {
    const server = createStartingServer()
    const port = await listen(server)
    try {
      const early = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) })
      expect(early.status).toBe(503)
      expect(early.headers.get("retry-after")).toBe("1")
      expect(((await early.json()) as { status: number }).status).toBe(503)

      server.on("request", (_request, response) => response.writeHead(200).end("ok"))
      const served = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) })
      expect(served.status).toBe(200)
      expect(await served.text()).toBe("ok")
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
