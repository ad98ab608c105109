# nbgrader's settings for the course (https://nbgrader.readthedocs.io). `make assignments`
# copies this file into the course directory (once: a teacher's own edits are kept there);
# `make exercises` generates the self-study notebooks with it. docs/TEACHING.md explains it.
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.converters import GenerateAssignment

c = get_config()  # noqa: F821 - defined by nbgrader when it reads this file

c.CourseDirectory.course_id = "gan-course"

# What replaces a solution block in the student notebook: the course's own stubs, so that a
# learner's untouched task raises the error every check recognises.
STUB = 'raise NotImplementedError("replace this line with your code")'  # = nbtools.STUB
c.ClearSolutions.code_stub = {"python": STUB}
c.ClearSolutions.text_stub = "_Write your answer here._"

# The release notebook keeps only the notebook metadata Jupyter needs (the source notebook
# also records which code `make course` executed, meaningless to a student).
c.GenerateAssignment.preprocessors = (
    GenerateAssignment.class_traits()["preprocessors"].default()
    + [ClearMetadataPreprocessor]
)
c.ClearMetadataPreprocessor.enabled = True
c.ClearMetadataPreprocessor.clear_cell_metadata = False
c.ClearMetadataPreprocessor.preserve_nb_metadata_mask = {"kernelspec", "language_info"}

# Seconds one cell may run when nbgrader executes a submission (autograde, validate). The
# longest cells at the default settings train a small network with the learner's pieces
# (exercises 3, 5 and 6: under a minute on two CPU cores). A cell that never returns is
# stopped after this and loses its points; the rest of the notebook is still graded.
c.Execute.timeout = 300
