/** Sign-in: an API key, checked against the API, then kept in sessionStorage only (gone with the tab). */
import { useState } from "preact/hooks"
import { call, messageOf, session } from "./Api.js"

export const SignIn = () => {
  const [key, setKey] = useState("")
  const [error, setError] = useState<string | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  const submit = async (event: Event) => {
    event.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      await call("/scans?limit=1", { key: key.trim() })
      session.signIn(key)
    } catch (cause) {
      setError(messageOf(cause) === "" ? "That key was not accepted." : messageOf(cause))
    } finally {
      setBusy(false)
    }
  }
  return (
    <main id="main" class="signin">
      <form onSubmit={submit} class="card">
        <h1>Mirage console</h1>
        <p class="muted">Paste an API key. It stays in this tab only and is sent to this server alone.</p>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autocomplete="off"
          required
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
          placeholder="mk_…"
        />
        {error && <p role="alert" class="error">{error}</p>}
        <button type="submit" disabled={busy || key.trim() === ""}>{busy ? "Checking…" : "Sign in"}</button>
      </form>
    </main>
  )
}
