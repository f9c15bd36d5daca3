// Logs and telemetry. Both resources refuse key-based ingestion: the function app sends
// telemetry with its managed identity (Monitoring Metrics Publisher, see rbac.bicep).

@description('Region of the workspace and the Application Insights component.')
param location string

@description('Tags for both resources.')
param tags object

@description('Name of the Log Analytics workspace.')
param logAnalyticsName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@minValue(30)
@maxValue(730)
@description('Days the workspace keeps logs; the first 31 days are included in the ingestion price.')
param retentionInDays int = 30

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      disableLocalAuth: true
    }
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    DisableLocalAuth: true
  }
}

output applicationInsightsName string = applicationInsights.name
output applicationInsightsId string = applicationInsights.id
// Not a credential: with local auth off, ingestion also needs an Entra token for the identity.
output applicationInsightsConnectionString string = applicationInsights.properties.ConnectionString
