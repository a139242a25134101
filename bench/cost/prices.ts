/**
 * AWS list prices, us-east-1, on-demand, without free tiers, as listed in 2026. They could not be checked from
 * here (no network): check each against the current price list (https://aws.amazon.com/pricing/) before
 * quoting a figure. Dollars; "per GB" is per GiB, as AWS bills.
 */
export const PRICES = {
  /** Lambda, arm64: per GB-second of duration (init phase included since August 2025) and per request. */
  lambdaArmGbSecond: 0.0000133334,
  lambdaRequest: 0.2 / 1e6,
  /** API Gateway HTTP API: per request (first 300 million a month; each 512 KB counts as one). */
  httpApiRequest: 1.0 / 1e6,
  /** DynamoDB on-demand (standard table class): per write / read request unit, storage, PITR per GB-month. */
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  dynamoStorageGbMonth: 0.25,
  dynamoPitrGbMonth: 0.2,
  /** KMS: per customer managed key a month (each of the first two automatic rotations adds $1), per request. */
  kmsKeyMonth: 1.0,
  kmsRequest: 0.03 / 10_000,
  /** Secrets Manager: per secret a month, per API call. */
  secretMonth: 0.4,
  secretsManagerCall: 0.05 / 10_000,
  /** EventBridge: per custom event published (64 KB chunks); scheduled rule events are not charged. */
  eventBridgeCustomEvent: 1.0 / 1e6,
  /** SQS standard: per request (64 KB chunks). */
  sqsRequest: 0.4 / 1e6,
  /** CloudWatch: Logs ingestion (standard class) and storage, custom metrics, alarm metrics, dashboards. */
  logsIngestGb: 0.5,
  logsStoreGbMonth: 0.03,
  customMetricMonth: 0.3,
  alarmMetricMonth: 0.1,
  dashboardMonth: 3.0,
  /** Data transfer out to the internet (first 10 TB tier). */
  dataOutGb: 0.09,
} as const;

export const GB = 1024 ** 3;
