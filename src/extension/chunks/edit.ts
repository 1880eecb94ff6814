// Chunk "edit" (dist/edit.js): editing a resource in a `scim:` document (the minimal PatchOp, its refusals, the
// verify after), loaded when such a document is first opened.
export { readForEdit, planEdit, applyEdit, describePlan, formatPlan, editSummary } from '../../core/edit/edit';
