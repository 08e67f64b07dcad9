/**
 * A TLS server for the fixture world: presents the test-only self-signed certificate for the
 * sandbox (`fixtures/sandbox-test-only.*.pem`) to every client and notes the names (SNI) asked.
 */
import { Effect } from "effect"
import type { Scope } from "effect"
import { readFileSync } from "node:fs"
import type { Socket } from "node:net"
import { createSecureContext, createServer } from "node:tls"
import type { SecureVersion } from "node:tls"

/** The certificate's PEM, for tests that compare what a module read with what was served. */
export const certificatePem = (): string =>
  readFileSync(new URL("../fixtures/sandbox-test-only.cert.pem", import.meta.url), "utf8")

/** The certificate's private key (test only: it is public), for fixture servers of their own that present it. */
export const keyPem = (): string =>
  readFileSync(new URL("../fixtures/sandbox-test-only.key.pem", import.meta.url), "utf8")

/** What the certificate names (see fixtures/README.md), canonical. */
export const certificateIdentities = {
  domains: ["mirage-sandbox.test", "portal.mirage-sandbox.test"],
  emails: ["hostmaster@mirage-sandbox.test", "security@mirage-sandbox.test"]
} as const

export interface TlsServer {
  readonly host: string
  readonly port: number
  /** TCP connections accepted so far. */
  readonly connections: () => number
  /** The SNI names clients sent so far, noted during the handshake (clients without SNI send none). */
  readonly servernames: () => ReadonlyArray<string>
}

/** The TLS versions the server accepts; Node's defaults (TLS 1.2 and 1.3) when left out. */
export interface TlsServerOptions {
  readonly minVersion?: SecureVersion
  readonly maxVersion?: SecureVersion
}

/** Starts the server on 127.0.0.1 with an ephemeral port; closing the Scope stops it. */
export const makeWith = (options: TlsServerOptions): Effect.Effect<TlsServer, never, Scope.Scope> =>
  Effect.gen(function*() {
    const servernames: Array<string> = []
    let connections = 0
    const sockets = new Set<Socket>()
    const { cert, key } = yield* Effect.sync(() => ({ cert: certificatePem(), key: keyPem() }))
    const context = createSecureContext({ cert, key })
    const server = yield* Effect.acquireRelease(
      Effect.async<ReturnType<typeof createServer>>((resume) => {
        const server = createServer({
          cert,
          key,
          ...options,
          // A legacy version is only negotiable with the legacy ciphers allowed.
          ...(options.minVersion === "TLSv1" || options.minVersion === "TLSv1.1"
            ? { ciphers: "DEFAULT:@SECLEVEL=0" }
            : {}),
          // Noted before the handshake completes, so a client that hangs up at once is still counted.
          SNICallback: (servername, callback) => {
            servernames.push(servername)
            callback(null, context)
          }
        }, (socket) => {
          socket.on("error", () => socket.destroy())
          socket.end()
        })
        server.on("connection", (socket: Socket) => {
          connections++
          sockets.add(socket)
          socket.on("close", () => sockets.delete(socket))
        })
        server.on("tlsClientError", () => undefined)
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
      }),
      (server) =>
        Effect.async<void>((resume) => {
          for (const socket of sockets) socket.destroy()
          server.close(() => resume(Effect.void))
        })
    )
    const address = server.address()
    return {
      host: "127.0.0.1",
      port: typeof address === "object" && address !== null ? address.port : 0,
      connections: () => connections,
      servernames: () => servernames.slice()
    }
  })

export const make: Effect.Effect<TlsServer, never, Scope.Scope> = makeWith({})
