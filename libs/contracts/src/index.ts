export { FEATURE_TOPIC_PREFIX, featureTopic, STACK_TOPICS, TOPICS, type TopicSpec } from './topics';
export {
  COMPOSITE_ID_SEPARATOR,
  ENTITIES,
  eventTimeKey,
  FEATURES,
  featureByName,
  featureKey,
  featuresOf,
  type EntityDefinition,
  type EntityName,
  type FeatureDefinition,
  type FeatureEngine,
  type FeatureType,
  type LegacyEndpoint,
} from './features';
