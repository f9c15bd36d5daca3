// The function app on a Flex Consumption (FC1) plan, Linux, Node.js 22, and its app settings.

@description('Region of the plan and the app.')
param location string

@description('Tags for the plan and the app.')
param tags object

@description('Name of the function app; it is also the first label of its default host name.')
param name string

@description('Name of the Flex Consumption plan.')
param planName string

@description('azd service name in azure.yaml that deploys to this app.')
param serviceName string

@description('Resource ID of the user-assigned identity the app uses for storage, Key Vault and telemetry.')
param identityId string

@description('Client ID of that identity (identity-based connections name it to pick it over any other).')
param identityClientId string

@description('Blob endpoint of the storage account, ending in a slash.')
param blobEndpoint string

@description('Queue endpoint of the storage account.')
param queueEndpoint string

@description('Table endpoint of the storage account.')
param tableEndpoint string

@description('Blob container the deployment package is uploaded to.')
param deploymentContainerName string

@description('Application Insights connection string.')
param applicationInsightsConnectionString string

@description('Versionless URI of the Key Vault secret that holds the Twilio auth token.')
param twilioAuthTokenUri string

@description('Versionless URI of the Key Vault secret behind FLOW_HTTP_SECRET; empty: no such setting.')
param flowHttpSecretUri string

@description('Twilio account SID.')
param twilioAccountSid string

@description('Twilio phone number in E.164.')
param twilioPhoneNumber string

@description('What an incoming call hears.')
param voiceGreeting string

@description('The reply to an incoming SMS.')
param smsReply string

@description('The flow file, relative to the app root.')
param phoneFlows string

@description('Days a call or message record, or a text conversation after its last activity, is kept (RECORD_RETENTION_DAYS).')
param recordRetentionDays int

@description('Days after which recordings are deleted at Twilio (RECORDING_RETENTION_DAYS); 0 keeps them.')
param recordingRetentionDays int

@description('Whom a STOP protects a number from: line or sender.')
param optOutScope string

@description('Memory of each instance in MB.')
param instanceMemoryMB int

@description('Most instances the app scales out to.')
param maximumInstanceCount int

@description('Instances kept running for the HTTP functions; 0 lets the app scale to zero.')
param alwaysReadyInstanceCount int

// All HTTP-triggered functions scale together as the 'http' group.
var alwaysReady = alwaysReadyInstanceCount > 0 ? [{ name: 'http', instanceCount: alwaysReadyInstanceCount }] : []

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references are resolved with this identity (the default would be a
    // system-assigned identity, which this app does not have).
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    // On Flex Consumption the runtime, scale and deployment source live here, not in app
    // settings: FUNCTIONS_WORKER_RUNTIME and WEBSITE_NODE_DEFAULT_VERSION are not allowed.
    functionAppConfig: {
      runtime: {
        name: 'node'
        version: '22'
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        alwaysReady: alwaysReady
      }
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
    }
  }
}

// FTP publishing with a user name and password: off. (SCM basic auth stays as the platform
// sets it, because `func azure functionapp publish` may still fetch publishing credentials.)
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

// A child resource rather than siteConfig.appSettings: PUBLIC_BASE_URL needs the app's own
// default host name, which only exists once the site does (inside the site it is a cycle).
// Every setting is listed here; one not listed is removed from the app on the next deployment.
resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: {
    TWILIO_ACCOUNT_SID: twilioAccountSid
    TWILIO_AUTH_TOKEN: '@Microsoft.KeyVault(SecretUri=${twilioAuthTokenUri})'
    TWILIO_PHONE_NUMBER: twilioPhoneNumber
    PUBLIC_BASE_URL: 'https://${functionApp.properties.defaultHostName}'
    VOICE_GREETING: voiceGreeting
    SMS_REPLY: smsReply
    PHONE_FLOWS: phoneFlows
    RECORD_RETENTION_DAYS: string(recordRetentionDays)
    RECORDING_RETENTION_DAYS: recordingRetentionDays == 0 ? '' : string(recordingRetentionDays)
    OPT_OUT_SCOPE: optOutScope
    // Empty (unset for the app) without the secret, as the setting must be listed either way.
    FLOW_HTTP_SECRET: empty(flowHttpSecretUri) ? '' : '@Microsoft.KeyVault(SecretUri=${flowHttpSecretUri})'
    AzureWebJobsStorage__blobServiceUri: blobEndpoint
    AzureWebJobsStorage__queueServiceUri: queueEndpoint
    AzureWebJobsStorage__tableServiceUri: tableEndpoint
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId
    APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  }
}

output name string = functionApp.name
output baseUrl string = 'https://${functionApp.properties.defaultHostName}'
