// Chunk "lifecycle" (dist/lifecycle.js): "New User…", "New Group…", "Create Resource from Editor", "Delete…".
export { createResource, deleteResource, missingRequired, resourceTemplate } from '../../core/scim/lifecycle';
