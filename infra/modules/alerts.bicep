// Alert rules an operator of the line needs, each a log query over Application Insights (the
// app's requests and traces): the health endpoint failing, webhook 5xx above a threshold, a
// message in any poison queue, and Twilio reporting errors (its debugger webhook). With an email
// address they notify it through one action group; without, they fire in the portal only.

@description('Region of the alert rules (that of Application Insights).')
param location string

@description('Tags for every resource.')
param tags object

@description('Resource ID of the Application Insights component the queries read.')
param applicationInsightsId string

@description('Prefix of the rule names, e.g. the function app name.')
param namePrefix string

@description('Email notified when a rule fires; empty: no action group, the alerts show in the portal only.')
param alertEmail string = ''

@minValue(1)
@description('Webhook answers of 500 or more in 5 minutes that raise the alert.')
param webhookErrorThreshold int = 5

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: '${namePrefix}-operators'
  location: 'Global'
  tags: tags
  properties: {
    groupShortName: 'twilio-ops'
    enabled: true
    emailReceivers: [
      {
        name: 'operator'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

// Queries: the function names are those of functions/ (requests.name), the trace texts are the
// Functions host's (a message moved to "<queue>-poison") and the app's (lib/records/debugger.ts).
var rules = [
  {
    name: 'health-failing'
    displayName: 'Health endpoint failing'
    description: 'GET /api/health answered 503: settings, the flow file or storage is wrong (see its body).'
    severity: 1
    query: 'requests | where name == "health" and resultCode == "503"'
    threshold: 0
  }
  {
    name: 'webhook-5xx'
    displayName: 'Twilio webhooks answering 5xx'
    description: 'More than ${webhookErrorThreshold} requests under /api/twilio/ answered 500 or more in 5 minutes: callers hear an application error.'
    severity: 1
    query: 'requests | where url has "/api/twilio/" and toint(resultCode) >= 500'
    threshold: webhookErrorThreshold
  }
  {
    name: 'poison-queue'
    displayName: 'Messages in a poison queue'
    description: 'A queued text failed every try and was moved to a poison queue: it will not be sent until someone looks.'
    severity: 2
    query: 'traces | where message has "poison" and (message has "Moving message to queue" or message has "every try failed")'
    threshold: 0
  }
  {
    name: 'twilio-errors'
    displayName: 'Twilio reports errors'
    description: 'Twilio\'s debugger webhook reported an error (11200, 12100, 11205…): Twilio could not use an answer of the app.'
    severity: 2
    query: 'traces | where message startswith "Twilio reported error"'
    threshold: 0
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for rule in rules: {
    name: '${namePrefix}-${rule.name}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: rule.displayName
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [
        applicationInsightsId
      ]
      evaluationFrequency: 'PT5M'
      windowSize: 'PT5M'
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: 'Count'
            operator: 'GreaterThan'
            threshold: rule.threshold
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      autoMitigate: true
      actions: {
        actionGroups: empty(alertEmail) ? [] : [actionGroup.id]
      }
    }
  }
]

output alertRuleNames array = [for (rule, index) in rules: alertRules[index].name]
