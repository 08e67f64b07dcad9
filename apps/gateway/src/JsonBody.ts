/**
 * Answers whose JSON body was made without the HttpApi's schema encoding (a scan's kept text, results as stored):
 * typed by the success schema of the endpoint they stand for, and identical to what its encoding would give.
 */
import { HttpServerResponse } from "@effect/platform"
import type { JsonOf } from "@mirage/domain/api/JsonText"
import type { Schema } from "effect"

export const respond = <S extends Schema.Schema.Any>(
  _schema: S,
  text: JsonOf<S>,
  options?: { readonly status?: number; readonly headers?: Readonly<Record<string, string>> }
): HttpServerResponse.HttpServerResponse =>
  // Raw: Node encodes the text as it writes it, rather than a copy made here first.
  HttpServerResponse.raw(text, {
    contentType: "application/json",
    contentLength: Buffer.byteLength(text, "utf8"),
    ...(options?.status === undefined ? {} : { status: options.status }),
    ...(options?.headers === undefined ? {} : { headers: options.headers })
  })
