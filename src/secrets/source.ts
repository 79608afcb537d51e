/**
 * The one way the rest of Nimbus reads a secret's value: the gateway (route auth `secret:`),
 * the runtime (`env: { X: { secret: name } }`) and the deploy check (does it exist?).
 * The encrypted store in this folder implements it; tests may pass a map.
 */
export interface SecretSource {
  /** The plaintext of an app's secret, or undefined when the app has no secret of that name. */
  get(app: string, name: string): Promise<string | undefined>;
}
