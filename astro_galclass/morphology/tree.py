# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
The Galaxy Zoo 2 decision tree: 11 questions, 37 answers, two conventions.

**Per-question fractions** (the Galaxy Zoo 2 catalogue of Willett et al.
2013, MNRAS 435, 2835, and its debiased version by Hart et al. 2016, MNRAS
461, 3663): for each question, the fraction of the volunteers who *reached*
that question and gave each answer; the answers of a question sum to 1.
Column names are ``t<QQ>_<question>_a<AA>_<answer>_<kind>`` with ``kind``
one of ``fraction``, ``weighted_fraction``, ``debiased``, ``count``. The
answer numbers are the catalogue's own: they run a01-a24 in tree order,
except that "dust lane" (the seventh answer of task 8) is a38, and a35 does
not exist (task 11 is a31, a32, a33, a34, a36, a37).

**Kaggle cumulative targets** (Galaxy Zoo Challenge, 2014, columns
``Class1.1`` ... ``Class11.6``): each question's fractions multiplied by the
fraction of all volunteers who reached it (the product of the parent answers
down the tree), except question 6 ("anything odd?"), which every volunteer
answers and which is renormalised to sum to 1 (removing the 1.3 "star or
artifact" branch).
"""

from dataclasses import dataclass

import numpy as np
from astropy.table import QTable

__all__ = ['GZ2_TREE', 'GZ2Tree', 'Question']


@dataclass(frozen=True)
class Question:
    """One question of the tree."""

    #: Question number (1-11).
    number: int
    #: Short name used in the GZ2 catalogue (``smooth_or_features``).
    name: str
    #: The text shown to volunteers.
    text: str
    #: Answer names as in the GZ2 catalogue (``smooth``, ``features_or_disk``).
    answers: tuple
    #: GZ2 catalogue answer numbers (``a01``...).
    gz2_numbers: tuple
    #: Parent answer as ``(question, answer index)`` (0-based answer), or None
    #: for a question every volunteer answers.
    parent: tuple | None

    @property
    def task(self):
        """GZ2 catalogue task prefix, e.g. ``t01_smooth_or_features``."""
        return f't{self.number:02d}_{self.name}'


_QUESTIONS = (
    Question(1, 'smooth_or_features', 'Is the galaxy simply smooth and rounded, '
             'with no sign of a disk?', ('smooth', 'features_or_disk', 'star_or_artifact'),
             (1, 2, 3), None),
    Question(2, 'edgeon', 'Could this be a disk viewed edge-on?', ('yes', 'no'),
             (4, 5), (1, 1)),
    Question(3, 'bar', 'Is there a sign of a bar feature through the centre of the galaxy?',
             ('bar', 'no_bar'), (6, 7), (2, 1)),
    Question(4, 'spiral', 'Is there any sign of a spiral arm pattern?',
             ('spiral', 'no_spiral'), (8, 9), (2, 1)),
    Question(5, 'bulge_prominence', 'How prominent is the central bulge, compared with '
             'the rest of the galaxy?',
             ('no_bulge', 'just_noticeable', 'obvious', 'dominant'), (10, 11, 12, 13), (2, 1)),
    Question(6, 'odd', 'Is there anything odd?', ('yes', 'no'), (14, 15), None),
    Question(7, 'rounded', 'How rounded is it?',
             ('completely_round', 'in_between', 'cigar_shaped'), (16, 17, 18), (1, 0)),
    Question(8, 'odd_feature', 'Is the odd feature a ring, or is the galaxy disturbed '
             'or irregular?',
             ('ring', 'lens_or_arc', 'disturbed', 'irregular', 'other', 'merger',
              'dust_lane'), (19, 20, 21, 22, 23, 24, 38), (6, 0)),
    Question(9, 'bulge_shape', 'Does the galaxy have a bulge at its centre? If so, '
             'what shape?', ('rounded', 'boxy', 'no_bulge'), (25, 26, 27), (2, 0)),
    Question(10, 'arms_winding', 'How tightly wound do the spiral arms appear?',
             ('tight', 'medium', 'loose'), (28, 29, 30), (4, 0)),
    Question(11, 'arms_number', 'How many spiral arms are there?',
             ('1', '2', '3', '4', 'more_than_4', 'cant_tell'), (31, 32, 33, 34, 36, 37),
             (4, 0)),
)


class GZ2Tree:
    """
    The Galaxy Zoo 2 decision tree and its conversions.

    Arrays have one column per answer, 37 in all, in tree order (question 1
    answers first, ..., question 11 last): the order of the Kaggle columns.

    Parameters
    ----------
    questions : sequence of `Question`, optional
        The questions of the tree, in column order; by default the 11
        Galaxy Zoo 2 questions. Every parent must be one of them.

    Examples
    --------
    >>> import numpy as np
    >>> from astro_galclass.morphology import GZ2_TREE
    >>> len(GZ2_TREE.questions), GZ2_TREE.n_answers
    (11, 37)
    >>> GZ2_TREE.kaggle_columns[:4]
    ['Class1.1', 'Class1.2', 'Class1.3', 'Class2.1']
    >>> GZ2_TREE.gz2_columns()[-1]
    't11_arms_number_a37_cant_tell_fraction'
    >>> q = np.full((1, 37), np.nan)
    >>> q[0, GZ2_TREE.slice(1)] = [0.8, 0.2, 0.0]       # smooth / features / star
    >>> q[0, GZ2_TREE.slice(7)] = [0.5, 0.25, 0.25]     # roundness
    >>> cum = GZ2_TREE.to_kaggle(q)
    >>> cum[0, GZ2_TREE.slice(7)]                        # Kaggle: 0.8 x (0.5, 0.25, 0.25)
    array([0.4, 0.2, 0.2])
    """

    def __init__(self, questions=_QUESTIONS):
        self.questions = tuple(questions)
        self._by_number = {q.number: q for q in self.questions}
        starts = np.cumsum([0] + [len(q.answers) for q in self.questions])
        self._slices = {q.number: slice(int(a), int(b))
                        for q, a, b in zip(self.questions, starts[:-1], starts[1:], strict=True)}
        self.n_answers = int(starts[-1])
        # order in which cumulative fractions can be computed (parents first)
        order, done = [], set()
        while len(order) < len(self.questions):
            for q in self.questions:
                if q.number not in done and (q.parent is None or q.parent[0] in done):
                    order.append(q.number)
                    done.add(q.number)
        #: Question numbers with every parent before its children.
        self.order = tuple(order)

    def __repr__(self):
        return f'<GZ2Tree: {len(self.questions)} questions, {self.n_answers} answers>'

    def question(self, number):
        """
        The `Question` with this number (1-11).

        Parameters
        ----------
        number : int
            Question number; anything `int` accepts, e.g. ``'3'``.

        Raises
        ------
        ValueError
            If there is no question with this number.
        """
        try:
            return self._by_number[int(number)]
        except (KeyError, TypeError, ValueError):
            msg = f'question must be one of 1-{len(self.questions)}, got {number!r}'
            raise ValueError(msg) from None

    def slice(self, number):
        """
        Columns of question ``number`` in the 37-answer arrays.

        Parameters
        ----------
        number : int
            Question number (1-11).

        Returns
        -------
        slice
        """
        return self._slices[self.question(number).number]

    def parent_column(self, number):
        """
        Column index of the parent answer of question ``number`` (None at the root).

        Parameters
        ----------
        number : int
            Question number (1-11).
        """
        q = self.question(number)
        if q.parent is None:
            return None
        return self.slice(q.parent[0]).start + q.parent[1]

    def resolve_question(self, question):
        """
        A question number from a number, ``'t03_bar'``, ``'bar'`` or ``'Class3'``.

        Parameters
        ----------
        question : int or str
            Question number (1-11), or a name: the GZ2 task (``'t03_bar'``),
            its short form (``'t03'``), the question name (``'bar'``) or the
            Kaggle class (``'Class3'``); surrounding whitespace is ignored.

        Raises
        ------
        ValueError
            If ``question`` names no question of the tree.
        """
        if isinstance(question, (int, np.integer)) and not isinstance(question, bool):
            return self.question(question).number
        if isinstance(question, str):
            key = question.strip()
            for q in self.questions:
                if key in (q.task, q.name, f'Class{q.number}', f't{q.number:02d}'):
                    return q.number
        names = [q.task for q in self.questions]
        msg = f'unknown question {question!r}; expected 1-11 or one of {names}'
        raise ValueError(msg)

    # -- names -------------------------------------------------------------------

    @property
    def kaggle_columns(self):
        """``Class1.1`` ... ``Class11.6``."""
        return [f'Class{q.number}.{i + 1}' for q in self.questions
                for i in range(len(q.answers))]

    def gz2_columns(self, kind='fraction'):
        """
        GZ2 catalogue column names.

        Parameters
        ----------
        kind : str, optional
            Column suffix: ``'fraction'``, ``'weighted_fraction'``,
            ``'debiased'`` (Hart et al. 2016) or ``'count'``.
        """
        kinds = ('fraction', 'weighted_fraction', 'debiased', 'count')
        if kind not in kinds:
            msg = f'kind must be one of {kinds}, got {kind!r}'
            raise ValueError(msg)
        return [f'{q.task}_a{n:02d}_{a}_{kind}' for q in self.questions
                for a, n in zip(q.answers, q.gz2_numbers, strict=True)]

    # -- conversions -----------------------------------------------------------

    def _check(self, values, what):
        values = np.asarray(values, dtype=float)
        single = values.ndim == 1
        values = np.atleast_2d(values)
        if values.ndim != 2 or values.shape[1] != self.n_answers:
            msg = (f'{what} must have {self.n_answers} columns (one per answer), '
                   f'got shape {np.shape(values)}')
            raise ValueError(msg)
        return values, single

    def reach(self, per_question):
        """
        Fraction of volunteers reaching each question, ``(N, 11)``.

        1 for questions 1 and 6 (question 6 is renormalised in the Kaggle
        convention); otherwise the product of the parent answers.

        Parameters
        ----------
        per_question : array-like
            Per-question fractions, ``(N, 37)`` or one row ``(37,)``; NaN
            parent answers count as 0.
        """
        q, _ = self._check(per_question, 'per_question')
        reach = np.ones((len(q), len(self.questions)))
        for number in self.order:
            question = self.question(number)
            if question.parent is not None:
                parent_q, parent_a = question.parent
                reach[:, number - 1] = (reach[:, parent_q - 1]
                                        * np.nan_to_num(q[:, self.slice(parent_q)][:, parent_a]))
        return reach

    def to_kaggle(self, per_question):
        """
        Per-question fractions -> Kaggle cumulative targets.

        Questions no volunteer reached (parent fraction 0) may hold NaN; they
        become 0.

        Parameters
        ----------
        per_question : array-like
            Per-question fractions, ``(N, 37)`` or one row ``(37,)``.

        Returns
        -------
        cumulative : `~numpy.ndarray`
            Kaggle cumulative targets, of the shape of ``per_question``.
        """
        q, single = self._check(per_question, 'per_question')
        reach = self.reach(q)
        out = np.zeros_like(q)
        for question in self.questions:
            s = self.slice(question.number)
            r = reach[:, question.number - 1:question.number]
            out[:, s] = np.where(r > 0, r * np.nan_to_num(q[:, s]), 0.0)
        return out[0] if single else out

    def from_kaggle(self, cumulative):
        """
        Kaggle cumulative targets -> per-question fractions.

        Each question is divided by the fraction reaching it. Questions that
        no volunteer reached are undefined and returned as NaN.

        Parameters
        ----------
        cumulative : array-like
            Kaggle cumulative targets, ``(N, 37)`` or one row ``(37,)``.

        Returns
        -------
        per_question : `~numpy.ndarray`
            Per-question fractions, of the shape of ``cumulative``.
        """
        c, single = self._check(cumulative, 'cumulative')
        out = np.full_like(c, np.nan)
        reach = np.ones((len(c), len(self.questions)))
        for number in self.order:
            question = self.question(number)
            s = self.slice(number)
            if question.parent is not None:
                parent = self.parent_column(number)
                reach[:, number - 1] = c[:, parent]
            r = reach[:, number - 1:number]
            with np.errstate(invalid='ignore', divide='ignore'):
                out[:, s] = np.where(r > 0, c[:, s] / np.where(r > 0, r, 1.0), np.nan)
        return out[0] if single else out

    def identity_residuals(self, cumulative):
        """
        Largest violation of the tree's identities, per row.

        For each question, ``|sum of its cumulative answers - parent|`` (the
        parent is 1 for questions 1 and 6; question 6 may also sum to 0 when
        every volunteer answered "star or artifact", so that nobody reached
        it, as happens in small simulated samples of stars).

        Parameters
        ----------
        cumulative : array-like
            Kaggle cumulative targets, ``(N, 37)`` or one row ``(37,)`` (a
            float is then returned).
        """
        c, single = self._check(cumulative, 'cumulative')
        worst = np.zeros(len(c))
        for question in self.questions:
            s = self.slice(question.number)
            target = 1.0 if question.parent is None else c[:, self.parent_column(question.number)]
            off = np.abs(c[:, s].sum(axis=1) - target)
            if question.number == 6:
                nobody = c[:, self.slice(1)][:, 2] >= 1 - 1e-9
                off = np.where(nobody, np.minimum(off, np.abs(c[:, s].sum(axis=1))), off)
            worst = np.maximum(worst, off)
        return worst[0] if single else worst

    # -- tables ------------------------------------------------------------------

    def from_gz2_table(self, table, kind='fraction'):
        """
        Per-question fractions ``(N, 37)`` from a GZ2 catalogue table.

        Counts (``kind='count'``) are turned into fractions per question;
        questions with no votes are NaN.

        Parameters
        ----------
        table : `~astropy.table.Table`
            A table with the 37 GZ2 catalogue columns of ``kind`` (see
            `gz2_columns`); other columns are ignored. A `KeyError` is raised
            if any is missing.
        kind : str, optional
            Which columns to read: ``'fraction'`` (default),
            ``'weighted_fraction'``, ``'debiased'`` or ``'count'``.
        """
        cols = self.gz2_columns(kind)
        missing = [c for c in cols if c not in table.colnames]
        if missing:
            msg = (f'the table lacks {len(missing)} GZ2 columns of kind {kind!r}, '
                   f'e.g. {missing[:3]}')
            raise KeyError(msg)
        values = np.stack([np.asarray(table[c], float) for c in cols], axis=1)
        if kind == 'count':
            return self.counts_to_fractions(values)
        return values

    def counts_to_fractions(self, counts):
        """
        Vote counts ``(N, 37)`` -> per-question fractions (NaN for no votes).

        Parameters
        ----------
        counts : array-like
            Vote counts per answer, ``(N, 37)`` or one row ``(37,)``; the
            result is always ``(N, 37)``.
        """
        n, _ = self._check(counts, 'counts')
        out = np.full_like(n, np.nan)
        for question in self.questions:
            s = self.slice(question.number)
            total = n[:, s].sum(axis=1, keepdims=True)
            with np.errstate(invalid='ignore', divide='ignore'):
                out[:, s] = np.where(total > 0, n[:, s] / np.where(total > 0, total, 1), np.nan)
        return out

    def from_kaggle_table(self, table):
        """
        Cumulative targets ``(N, 37)`` from a table with ``Class1.1`` ... columns.

        Parameters
        ----------
        table : `~astropy.table.Table`
            A table with the 37 Kaggle columns ``Class1.1`` ... ``Class11.6``;
            other columns are ignored. A `KeyError` is raised if any is
            missing.
        """
        missing = [c for c in self.kaggle_columns if c not in table.colnames]
        if missing:
            msg = f'the table lacks the Kaggle columns {missing[:3]} (and {len(missing)} in all)'
            raise KeyError(msg)
        return np.stack([np.asarray(table[c], float) for c in self.kaggle_columns], axis=1)

    def to_table(self, values, *, convention='gz2', kind='fraction'):
        """
        A `~astropy.table.QTable` of ``values`` with the convention's column names.

        ``values`` are per-question fractions for ``convention='gz2'`` and
        cumulative targets for ``convention='kaggle'``.

        Parameters
        ----------
        values : array-like
            ``(N, 37)`` or one row ``(37,)``, one column per answer in tree
            order.
        convention : {'gz2', 'kaggle'}, optional
            Column names: the GZ2 catalogue's (default) or the Kaggle
            ``Class1.1`` ... ``Class11.6``.
        kind : str, optional
            Suffix of the GZ2 column names (see `gz2_columns`); ignored for
            ``convention='kaggle'``.
        """
        values, _ = self._check(values, 'values')
        if convention == 'gz2':
            names = self.gz2_columns(kind)
        elif convention == 'kaggle':
            names = self.kaggle_columns
        else:
            msg = f"convention must be 'gz2' or 'kaggle', got {convention!r}"
            raise ValueError(msg)
        return QTable(list(values.T), names=names)


#: The Galaxy Zoo 2 tree.
GZ2_TREE = GZ2Tree()

