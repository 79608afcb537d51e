/** The AWS region a node tells its functions they run in (AWS_REGION; `nimbus up --region`). */
export const DEFAULT_REGION = 'us-east-1';

/** A region name as AWS spells them (`us-east-1`, `eu-central-2`, `us-gov-west-1`): anything else is a typo. */
export function isRegion(value: string): boolean {
  return /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(value);
}
