// Twilio Voice & SMS on Azure Functions: a Flex Consumption function app (Linux, Node.js 22)
// whose Twilio auth token lives only in Key Vault, with identity-based storage and telemetry.
// Deploy into an existing resource group: see the README's Deploy section.
targetScope = 'resourceGroup'

@minLength(1)
@maxLength(64)
@description('Name of this environment, such as twilio-dev. It seeds the unique suffix of every resource name and tags every resource; azd sets it from AZURE_ENV_NAME.')
param environmentName string

@minLength(1)
@description('Region of every resource. It must offer the Flex Consumption plan: az functionapp list-flexconsumption-locations.')
param location string = resourceGroup().location

@minLength(34)
@maxLength(34)
@description('Twilio account SID: AC followed by 32 hex characters (Twilio console, Account Info).')
param twilioAccountSid string

@secure()
@minLength(1)
@description('Twilio auth token (Twilio console, Account Info). It is stored only as a Key Vault secret and reaches the app as a Key Vault reference. Pass it from a shell variable, never from a parameters file.')
param twilioAuthToken string

@secure()
@description('Secret that signs the flow\'s http requests (app setting FLOW_HTTP_SECRET), at least 32 characters. Like the auth token it is stored only as a Key Vault secret and reaches the app as a Key Vault reference. Empty (the default): no secret, no app setting, the requests go unsigned. Pass it from a shell variable.')
param flowHttpSecret string = ''

@minLength(2)
@description('Your Twilio phone number in E.164, such as +15550100000: the default caller ID and SMS sender.')
param twilioPhoneNumber string

@description('What an incoming call hears.')
param voiceGreeting string = 'Hello Monkey!'

@description('The reply to an incoming SMS.')
param smsReply string = 'Hey, thanks for the ping! Twilio and Azure rock!'

@description('The flow file the app runs, relative to the app root, such as flows/examples/ivr.json. It is deployed with the app.')
param phoneFlows string = 'flows.json'

@minValue(1)
@description('Days a call or message record is kept with its events and listing rows, and a text conversation after its last activity; older ones are deleted daily.')
param recordRetentionDays int = 400

@minValue(0)
@description('Days after which a call\'s recordings are deleted at Twilio; 0 (the default) keeps them.')
param recordingRetentionDays int = 0

@allowed([
  'line'
  'sender'
])
@description('Whom a STOP protects a number from: line (every number of the line stops texting it) or sender (only the number it texted).')
param optOutScope string = 'line'

@allowed([
  512
  2048
  4096
])
@description('Memory of each instance in MB. CPU share and the price of each second scale with it.')
param instanceMemoryMB int = 2048

@minValue(40)
@maxValue(1000)
@description('Most instances the app scales out to. 40 is the least Flex Consumption allows; a low cap also bounds what a flood of requests can cost.')
param maximumInstanceCount int = 40

@minValue(0)
@maxValue(1000)
@description('Instances kept running for the HTTP functions. 0 scales to zero and costs nothing at rest, but the first webhook after idle waits for a cold start, inside Twilio\'s 15-second limit; 1 or more removes cold starts and is billed around the clock.')
param alwaysReadyInstanceCount int = 0

@description('Key Vault purge protection: nobody can purge the deleted vault or secret before the retention period ends. Recommended for production; once on, it cannot be turned off.')
param enablePurgeProtection bool = false

@minValue(7)
@maxValue(90)
@description('Days a deleted vault or secret can be recovered. Fixed once the vault exists.')
param keyVaultSoftDeleteRetentionInDays int = 7

@description('Object ID of the person (or pipeline) deploying, to get the same storage and telemetry access as the app plus Key Vault Secrets Officer for rotating the token: az ad signed-in-user show --query id -o tsv. Empty grants nothing.')
param principalId string = ''

@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
@description('What kind of principal principalId is.')
param principalType string = 'User'

@description('Name of the function app; it becomes <name>.azurewebsites.net. Empty derives one from the environment.')
param functionAppName string = ''

@description('Name of the Flex Consumption plan. Empty derives one from the environment.')
param functionPlanName string = ''

@description('Name of the storage account (3 to 24 lowercase letters and digits). Empty derives one from the environment.')
param storageAccountName string = ''

@description('Name of the Key Vault (3 to 24 letters, digits and hyphens). Empty derives one from the environment.')
param keyVaultName string = ''

@description('Name of the user-assigned managed identity. Empty derives one from the environment.')
param identityName string = ''

@description('Name of the Log Analytics workspace. Empty derives one from the environment.')
param logAnalyticsName string = ''

@description('Name of the Application Insights component. Empty derives one from the environment.')
param applicationInsightsName string = ''

@description('Email the alert rules notify (health failing, webhook 5xx, poison queue, Twilio errors); empty: portal only.')
param alertEmail string = ''

var abbrs = loadJsonContent('abbreviations.json')
// One token for every name: stable for this resource group and environment, unique elsewhere.
var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var serviceName = 'api'
var appName = !empty(functionAppName) ? functionAppName : '${abbrs.webSitesFunctions}${resourceToken}'
var deploymentContainerName = 'app-package-${take(toLower(appName), 32)}-${take(resourceToken, 7)}'
// The app's tables (lib/records/tables.ts): records with their events and listings, idempotency keys,
// campaigns with their recipients and each sender's shared rate budget, and text conversations.
var tableNames = [
  'TwilioRecords'
  'TwilioIdempotency'
  'TwilioCampaigns'
  'TwilioConversations'
]

// The app's queues (lib/config/queues.ts QUEUES) and the poison queue the Functions host moves a
// message to after host.json's maxDequeueCount tries, declared so that both exist and can be watched.
var queueNames = [
  'twilio-outbound'
  'twilio-outbound-poison'
  'twilio-campaigns'
  'twilio-campaigns-poison'
]

// One identity for everything the app reaches: storage, the Key Vault reference, telemetry.
resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: !empty(identityName) ? identityName : '${abbrs.managedIdentityUserAssignedIdentities}${resourceToken}'
  location: location
  tags: tags
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    tags: tags
    logAnalyticsName: !empty(logAnalyticsName) ? logAnalyticsName : '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: !empty(applicationInsightsName) ? applicationInsightsName : '${abbrs.insightsComponents}${resourceToken}'
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  params: {
    location: location
    tags: tags
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    namePrefix: appName
    alertEmail: alertEmail
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    tags: tags
    name: !empty(storageAccountName) ? storageAccountName : '${abbrs.storageStorageAccounts}${resourceToken}'
    deploymentContainerName: deploymentContainerName
    tableNames: tableNames
    queueNames: queueNames
  }
}

// The Key Vault secret behind FLOW_HTTP_SECRET, when the flowHttpSecret parameter is given.
var flowHttpSecretName = 'flow-http-secret'

module keyVault 'modules/keyVault.bicep' = {
  name: 'keyVault'
  params: {
    location: location
    tags: tags
    name: !empty(keyVaultName) ? keyVaultName : '${abbrs.keyVaultVaults}${resourceToken}'
    enablePurgeProtection: enablePurgeProtection
    softDeleteRetentionInDays: keyVaultSoftDeleteRetentionInDays
    twilioAuthTokenName: 'twilio-auth-token'
    twilioAuthToken: twilioAuthToken
    flowHttpSecretName: flowHttpSecretName
    keepFlowHttpSecret: !empty(flowHttpSecret)
    flowHttpSecret: flowHttpSecret
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  params: {
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    keyVaultName: keyVault.outputs.name
    twilioAuthTokenName: keyVault.outputs.twilioAuthTokenName
    flowHttpSecretName: keyVault.outputs.flowHttpSecretName
    grantFlowHttpSecret: !empty(flowHttpSecret)
    identityPrincipalId: identity.properties.principalId
    userPrincipalId: principalId
    userPrincipalType: principalType
  }
}

module functionApp 'modules/functionApp.bicep' = {
  name: 'functionApp'
  params: {
    location: location
    tags: tags
    name: appName
    planName: !empty(functionPlanName) ? functionPlanName : '${abbrs.webServerFarms}${resourceToken}'
    serviceName: serviceName
    identityId: identity.id
    identityClientId: identity.properties.clientId
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    twilioAuthTokenUri: keyVault.outputs.twilioAuthTokenUri
    flowHttpSecretUri: keyVault.outputs.flowHttpSecretUri
    twilioAccountSid: twilioAccountSid
    twilioPhoneNumber: twilioPhoneNumber
    voiceGreeting: voiceGreeting
    smsReply: smsReply
    phoneFlows: phoneFlows
    recordRetentionDays: recordRetentionDays
    recordingRetentionDays: recordingRetentionDays
    optOutScope: optOutScope
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    alwaysReadyInstanceCount: alwaysReadyInstanceCount
  }
  // The app reads its deployment package, storage and Key Vault reference with the identity
  // from its first start, so the roles must exist before it does.
  dependsOn: [
    rbac
  ]
}

// Outputs are named like environment variables, as azd stores each one in the environment
// (`azd env get-value NAME`); no output shares a name with a parameter.

@description('Name of the function app: func azure functionapp publish <name>.')
output FUNCTION_APP_NAME string = functionApp.outputs.name

@description('The app\'s public origin; the PUBLIC_BASE_URL app setting is set to it.')
output BASE_URL string = functionApp.outputs.baseUrl

@description('Twilio number, Voice: "A call comes in" webhook (HTTP POST).')
output VOICE_WEBHOOK_URL string = '${functionApp.outputs.baseUrl}/api/twilio/voice'

@description('Twilio number, Voice: "Primary handler fails" fallback URL (HTTP POST).')
output VOICE_FALLBACK_URL string = '${functionApp.outputs.baseUrl}/api/twilio/voice/fallback'

@description('Twilio number, Messaging: "A message comes in" webhook (HTTP POST).')
output SMS_WEBHOOK_URL string = '${functionApp.outputs.baseUrl}/api/twilio/sms'

@description('Twilio number, Messaging: "Primary handler fails" fallback URL (HTTP POST).')
output SMS_FALLBACK_URL string = '${functionApp.outputs.baseUrl}/api/twilio/sms/fallback'

@description('Twilio number, Voice: "Call status changes" callback (HTTP POST).')
output STATUS_CALLBACK_URL string = '${functionApp.outputs.baseUrl}/api/twilio/status'

@description('Key Vault that holds the Twilio auth token (for rotating it).')
output KEY_VAULT_NAME string = keyVault.outputs.name

@description('Name of the Key Vault secret that holds the Twilio auth token.')
output TWILIO_AUTH_TOKEN_SECRET_NAME string = keyVault.outputs.twilioAuthTokenName

@description('Name of the Key Vault secret behind FLOW_HTTP_SECRET (for rotating it); it exists only when flowHttpSecret was given.')
output FLOW_HTTP_SECRET_NAME string = flowHttpSecretName

@description('Application Insights component that receives the app\'s logs.')
output APPLICATION_INSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
