export { FEATURE_TOPIC_PREFIX, STACK_TOPICS, TOPICS } from './topics';
