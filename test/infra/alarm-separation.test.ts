import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { TikTokConnectStack } from '../../infra/tiktok-connect-stack.js';
import { CDK_JSON_CONTEXT, SETTINGS } from './synthesize.js';

type Dimension = { Name: string; Value: unknown };
type MetricId = { Namespace: string; MetricName: string; Dimensions?: Dimension[] };
type AlarmProps = MetricId & { Metrics?: { MetricStat?: { Metric: MetricId } }[] };

/** Staging and production in one account and region, as the review had them. */
function twoStacks() {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const stacks = ['TikTokConnect-staging', 'TikTokConnect-prod'].map(
    (name) =>
      new TikTokConnectStack(app, name, {
        ...SETTINGS,
        env: { account: '123456789012', region: 'eu-west-1' },
      }),
  );
  return stacks.map((stack) => ({ name: stack.stackName, template: Template.fromStack(stack) }));
}

/**
 * Every metric the stack's alarms read, as one string each. A dimension value that references a resource
 * (`Ref`, `Fn::GetAtt`) names that stack's own resource, so it is qualified by the stack; a literal value is
 * what CloudWatch sees, as is.
 */
function alarmMetrics(stack: { name: string; template: Template }, options = { withStack: true }): string[] {
  const identity = (metric: MetricId) => {
    const dimensions = (metric.Dimensions ?? [])
      .filter((d) => options.withStack || d.Name !== 'Stack')
      .map(
        (d) =>
          `${d.Name}=${typeof d.Value === 'string' ? d.Value : `${stack.name}:${JSON.stringify(d.Value)}`}`,
      )
      .sort();
    return `${metric.Namespace}/${metric.MetricName}{${dimensions.join(',')}}`;
  };
  return Object.values(stack.template.findResources('AWS::CloudWatch::Alarm')).flatMap((alarm) => {
    const props = alarm.Properties as AlarmProps;
    if (props.MetricName) return [identity(props)];
    return (props.Metrics ?? []).flatMap((m) => (m.MetricStat ? [identity(m.MetricStat.Metric)] : []));
  });
}

describe('two stacks in one account', () => {
  const [staging, prod] = twoStacks();
  if (!staging || !prod) throw new Error('two stacks expected');

  it("have disjoint alarm metrics: staging's failures never raise production's alarms", () => {
    const prodMetrics = new Set(alarmMetrics(prod));
    const stagingMetrics = alarmMetrics(staging);
    expect(stagingMetrics.length).toBeGreaterThan(20);
    expect(stagingMetrics.filter((metric) => prodMetrics.has(metric))).toEqual([]);
  });

  it('read their own embedded metrics by the Stack dimension (without it, they would share them)', () => {
    const own = alarmMetrics(staging).filter((metric) => metric.startsWith('TikTokConnect/'));
    expect(own).toEqual(
      expect.arrayContaining([
        expect.stringContaining('InvalidClient{'),
        expect.stringContaining('FailedTerminal{'),
      ]),
    );
    for (const metric of own) expect(metric).toContain('Stack=TikTokConnect-staging');
    // The check above has teeth: take the dimension away and staging's InvalidClient is production's.
    const prodWithout = new Set(alarmMetrics(prod, { withStack: false }));
    expect(alarmMetrics(staging, { withStack: false }).filter((m) => prodWithout.has(m))).toEqual(
      expect.arrayContaining([expect.stringContaining('InvalidClient{')]),
    );
  });

  it('graph only their own embedded metrics on the dashboard, searches included', () => {
    for (const stack of [staging, prod]) {
      const [dashboard] = Object.values(stack.template.findResources('AWS::CloudWatch::Dashboard'));
      const body = JSON.stringify(dashboard?.Properties.DashboardBody);
      const other = stack === staging ? prod.name : staging.name;
      expect(body).toContain(`Stack=\\\\\\"${stack.name}\\\\\\"`);
      expect(body).not.toContain(other);
      const searches = body.match(/SEARCH\(/g) ?? [];
      const scoped = body.match(/SEARCH\('\{TikTokConnect,[^}]*Stack[^}]*\}[^']*Stack=/g) ?? [];
      expect(searches.length).toBeGreaterThan(0);
      expect(scoped.length).toBe(searches.length);
    }
  });

  it('name their alarms after the stack, and let only those alarms publish to their topic', () => {
    for (const stack of [staging, prod]) {
      for (const alarm of Object.values(stack.template.findResources('AWS::CloudWatch::Alarm'))) {
        expect(alarm.Properties.AlarmName).toMatch(new RegExp(`^${stack.name}-`));
      }
      expect(JSON.stringify(stack.template.findResources('AWS::SNS::TopicPolicy'))).toContain(
        `:alarm:${stack.name}-*`,
      );
    }
  });
});
