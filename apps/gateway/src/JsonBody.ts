/**
 * Answers whose JSON body was made without the HttpApi's schema encoding (a scan's kept bytes, results as stored):
 * typed by the success schema of the endpoint they stand for, and identical to what its encoding would give.
 */
import { HttpServerResponse } from "@effect/platform"
import type { JsonBytesOf, JsonOf } from "@mirage/domain/api/JsonText"
import type { Schema } from "effect"

export const respond = <S extends Schema.Schema.Any>(
  _schema: S,
  body: JsonOf<S> | JsonBytesOf<S>,
  options?: { readonly status?: number; readonly headers?: Readonly<Record<string, string>> }
): HttpServerResponse.HttpServerResponse =>
  // Raw: Node encodes a text as it writes it, rather than a copy made here first; bytes are written as they are.
  HttpServerResponse.raw(body, {
    contentType: "application/json",
    contentLength: typeof body === "string" ? Buffer.byteLength(body, "utf8") : body.byteLength,
    ...(options?.status === undefined ? {} : { status: options.status }),
    ...(options?.headers === undefined ? {} : { headers: options.headers })
  })
