/** Why the scan state machine refuses a command. */
import { Data } from "effect"
import type { ScanStatus } from "./Scan.js"

export class ScanNotFound extends Data.TaggedError("ScanNotFound")<{ readonly scan_id: string }> {}
export class ScanAlreadyExists extends Data.TaggedError("ScanAlreadyExists")<{ readonly scan_id: string }> {}
export class IllegalTransition extends Data.TaggedError("IllegalTransition")<{
  readonly command: string
  readonly status: ScanStatus
}> {
  override get message() {
    return `cannot ${this.command} a scan that is ${this.status}`
  }
}
export class UnknownTask extends Data.TaggedError("UnknownTask")<{ readonly task_id: string }> {}
/** If-Match: the scan changed since the client read it (its log is at `current`, the client saw `expected`). */
export class PreconditionFailed extends Data.TaggedError("PreconditionFailed")<{
  readonly expected: number
  readonly current: number
}> {
  override get message() {
    return `the scan changed since version ${this.expected}: it is at version ${this.current}`
  }
}
/** An update that is valid on its own but not for the scan as it now is. */
export class InvalidUpdate
  extends Data.TaggedError("InvalidUpdate")<{ readonly field: string; readonly reason: string }>
{
  override get message() {
    return `${this.field}: ${this.reason}`
  }
}

export type Rejection =
  | ScanNotFound
  | ScanAlreadyExists
  | IllegalTransition
  | UnknownTask
  | PreconditionFailed
  | InvalidUpdate
