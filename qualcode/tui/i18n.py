"""The words of the TUI in Chinese and English.

``STRINGS`` maps a message id to its text in each language; :func:`t` looks one up.
Message ids say where the text is used: ``pane.*`` pane titles, ``key.*`` key binding
descriptions, ``notify.*`` notifications, ``word.*`` single words and labels, ``picker.*``,
``prompt.*``, ``choice.*`` and ``help.*`` the dialogs. Fields in braces are filled by
:func:`t`'s keyword arguments.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.dom import DOMNode

from ..settings import LANGUAGES, Language, default_language  # noqa: F401 (re-exported)

STRINGS: dict[str, dict[str, str]] = {
    # The workbench
    "key.reports": {"zh": "报表", "en": "Reports"},
    "key.back": {"zh": "返回", "en": "Back"},
    "notify.no_suggestion_here": {"zh": "此处没有自动编码建议", "en": "No suggestion here"},
    "notify.no_suggestions": {"zh": "没有待审阅的建议", "en": "No suggestions to review"},
    "key.export": {"zh": "导出", "en": "Export"},
    "reports.computing": {"zh": "正在计算报表……", "en": "Computing reports…"},
    "reports.title": {
        "zh": "报表 · 编码员：{coders} · e 导出 · Esc 返回",
        "en": "Reports · coders: {coders} · e export · Esc back",
    },
    "reports.frequencies": {"zh": "编码频次", "en": "Frequencies"},
    "reports.crosstab": {"zh": "交叉表", "en": "Cross-tab"},
    "reports.matrix": {"zh": "编码×转录稿", "en": "Code × transcript"},
    "reports.cooccurrence": {"zh": "共现", "en": "Co-occurrence"},
    "reports.words": {"zh": "词频", "en": "Words"},
    "reports.agreement": {"zh": "编码一致性", "en": "Agreement"},
    "reports.by": {"zh": "按属性", "en": "By attribute"},
    "reports.export_to": {
        "zh": "导出到（.xlsx / .csv / .md / .tex）",
        "en": "Export to (.xlsx / .csv / .md / .tex)",
    },
    "reports.exported": {"zh": "已导出：{path}", "en": "Exported: {path}"},
    "key.next_hit": {"zh": "下一处搜索结果", "en": "Next hit"},
    "key.previous_hit": {"zh": "上一处搜索结果", "en": "Previous hit"},
    "key.set_coder": {"zh": "设置编码员姓名", "en": "Set coder name"},
    "key.speaker_role": {"zh": "设置发言人角色", "en": "Set a speaker's role"},
    "key.review": {
        "zh": "标记本访谈记录已审阅（或取消）",
        "en": "Mark this transcript reviewed (or not)",
    },
    "notify.hits": {"zh": "“{query}”：{count} 处", "en": "“{query}”: {count} hits"},
    "word.all_coders": {"zh": "全部编码员", "en": "All coders"},
    "word.viewing": {"zh": "查看", "en": "Viewing"},
    "word.sentence": {"zh": "句", "en": "Sentence"},
    "retrieve.title": {
        "zh": "编码检索：{code}（{count} 处）",
        "en": "Retrieve: {code} ({count} segments)",
    },
    "retrieve.hint": {
        "zh": "↑↓ 选择 · Enter 跳转 · 空格 标记 · s 拆分到其他编码 · Esc 关闭",
        "en": "↑↓ move · Enter jump · space mark · s recode to another code · Esc close",
    },
    "retrieve.marked": {
        "zh": "已标记 {count} 处 · s 把标记的片段拆分到其他编码 · 空格 取消标记",
        "en": "{count} marked · s recodes them to another code · space unmarks",
    },
    # Memos, code definitions, search across transcripts, drill-down (issue 12)
    "key.memos": {"zh": "备忘一览", "en": "Memos"},
    "key.code_memo": {"zh": "编码定义备忘", "en": "Code memo"},
    "help.code_memo": {
        "zh": "编码定义备忘（在编码本中按 m）",
        "en": "Memo on a code (m in the codebook)",
    },
    "key.search_all": {"zh": "搜索全部转录稿", "en": "Search all transcripts"},
    "memos.title": {"zh": "备忘一览（{count} 条）", "en": "Memos ({count})"},
    "memos.title_filtered": {
        "zh": "备忘一览（{shown}/{count} 条）",
        "en": "Memos ({shown} of {count})",
    },
    "memos.hint": {
        "zh": "输入筛选 · ↑↓ 选择 · Enter 跳转 · Esc 关闭",
        "en": "type to filter · ↑↓ move · Enter go there · Esc close",
    },
    "memos.placeholder": {
        "zh": "筛选：备忘内容、转录稿、编码、编码员",
        "en": "Filter: memo text, transcript, code, coder",
    },
    "memos.kind_coding": {"zh": "编码片段", "en": "Coding"},
    "memos.kind_transcript": {"zh": "转录稿", "en": "Transcript"},
    "memos.kind_code": {"zh": "编码定义", "en": "Code"},
    "memos.kind_project": {"zh": "项目", "en": "Project"},
    "memos.new_project": {"zh": "+ 写项目备忘", "en": "+ Write a project memo"},
    "prompt.code_memo": {"zh": "编码定义备忘：{code}", "en": "Memo on the code {code}"},
    "prompt.project_memo": {"zh": "项目备忘", "en": "Project memo"},
    "definition.description": {"zh": "说明：", "en": "Description: "},
    "definition.include": {"zh": "包括：", "en": "Include: "},
    "definition.exclude": {"zh": "不包括：", "en": "Exclude: "},
    "definition.examples": {"zh": "示例：", "en": "Examples: "},
    "definition.memo": {"zh": "我的备忘：", "en": "My memo: "},
    "definition.none": {"zh": "（编码本未写定义）", "en": "(no definition in the codebook)"},
    "retrieve.attribute": {"zh": "按属性筛选", "en": "Filter by attribute"},
    "retrieve.value": {"zh": "属性值", "en": "Value"},
    "retrieve.any_coder": {"zh": "全部编码员", "en": "All coders"},
    "search.title": {"zh": "搜索全部转录稿（整词）", "en": "Search all transcripts (whole words)"},
    "search.placeholder": {"zh": "输入词语，Enter 搜索", "en": "Type a word, Enter searches"},
    "search.hint": {
        "zh": "Enter 搜索 / 跳转 · ↑↓ 选择 · Esc 关闭",
        "en": "Enter search / jump · ↑↓ move · Esc close",
    },
    "search.searching": {"zh": "正在搜索“{query}”……", "en": "Searching for “{query}”…"},
    "search.found": {
        "zh": "“{query}”：{count} 处（整词）",
        "en": "“{query}”: {count} hits (whole words)",
    },
    "search.none": {"zh": "没有找到整词“{query}”", "en": "No whole-word hit for “{query}”"},
    "search.inside": {
        "zh": "另有{count}处是更长词语的一部分：{words}",
        "en": "{count} more are part of longer words: {words}",
    },
    "reports.view_counts": {"zh": "计数", "en": "Counts"},
    "reports.view_row": {"zh": "行百分比", "en": "Row %"},
    "reports.view_column": {"zh": "列百分比", "en": "Column %"},
    "reports.view_expected": {"zh": "期望频数", "en": "Expected"},
    "reports.chi_square": {
        "zh": "卡方检验（每个编码：有 / 无 × 属性值）",
        "en": "Chi-square tests (each code: present / absent × value)",
    },
    "reports.cell_hint": {
        "zh": "Enter 查看单元格背后的引文",
        "en": "Enter on a cell lists the quotes behind it",
    },
    "reports.any_value": {"zh": "{attribute}（全部）", "en": "{attribute} (all)"},
    "reports.one_coder": {
        "zh": "编码一致性需要至少两位编码员的编码，目前只有 {coder} 编码过。请第二位编码员以自己的名字编码同样的转录稿（启动时 --coder 姓名），或导入其编码（qualcode import-codings）。",
        "en": "Agreement needs codings by at least two coders; so far only {coder} has coded. Ask a second coder to code the same transcripts under their own name (--coder NAME), or import their codings (qualcode import-codings).",
    },
    "reports.no_coder": {
        "zh": "还没有任何编码：一致性需要至少两位编码员的编码。",
        "en": "Nothing is coded yet: agreement needs codings by at least two coders.",
    },
    "reports.failed": {
        "zh": "报表计算失败（见通知）· Esc 返回",
        "en": "Reports failed (see the notification) · Esc back",
    },
    "notify.worker_failed": {"zh": "计算出错", "en": "Computation failed"},
    "notify.resumed": {
        "zh": "回到上次的位置：{transcript} 句 {n}",
        "en": "Back where you stopped: {transcript} sentence {n}",
    },
    # Panes
    "pane.transcripts": {"zh": "转录稿", "en": "Transcripts"},
    "pane.codebook": {"zh": "编码本", "en": "Codebook"},
    # Key bindings, as the footer and the help screen describe them
    "key.next_sentence": {"zh": "下一句", "en": "Next sentence"},
    "key.prev_sentence": {"zh": "上一句", "en": "Previous sentence"},
    "key.next_word": {"zh": "下一个词", "en": "Next word"},
    "key.prev_word": {"zh": "上一个词", "en": "Previous word"},
    "key.next_char": {"zh": "下一个字", "en": "Next character"},
    "key.prev_char": {"zh": "上一个字", "en": "Previous character"},
    "key.next_turn": {"zh": "下一轮发言", "en": "Next turn"},
    "key.prev_turn": {"zh": "上一轮发言", "en": "Previous turn"},
    "key.next_uncoded": {"zh": "下一处未编码", "en": "Next uncoded"},
    "key.visual_mode": {"zh": "选择模式", "en": "Visual mode"},
    "key.apply_code": {"zh": "编码", "en": "Apply code"},
    "key.in_vivo": {"zh": "原话新建编码", "en": "In-vivo code"},
    "key.remove_coding": {"zh": "删除编码", "en": "Remove coding"},
    "key.memo": {"zh": "编码备忘", "en": "Memo"},
    "key.transcript_memo": {"zh": "转录稿备忘", "en": "Transcript memo"},
    "key.undo": {"zh": "撤销", "en": "Undo"},
    "key.redo": {"zh": "重做", "en": "Redo"},
    "key.search": {"zh": "搜索", "en": "Search"},
    "key.retrieve": {"zh": "按编码检索", "en": "Retrieve"},
    "key.switch_coder": {"zh": "切换编码员", "en": "Switch coder"},
    "key.language": {"zh": "切换语言", "en": "Language"},
    "key.help": {"zh": "帮助", "en": "Help"},
    "key.quit": {"zh": "退出", "en": "Quit"},
    "key.favourite_code": {"zh": "常用编码 {n}", "en": "Favourite code {n}"},
    "key.next_suggestion": {"zh": "下一条建议", "en": "Next suggestion"},
    "key.accept_suggestion": {"zh": "接受建议", "en": "Accept suggestion"},
    "key.reject_suggestion": {"zh": "拒绝建议", "en": "Reject suggestion"},
    "key.focus_next": {"zh": "下一个窗格", "en": "Next pane"},
    "key.focus_previous": {"zh": "上一个窗格", "en": "Previous pane"},
    "key.toggle_transcripts": {"zh": "显示/隐藏转录稿列表", "en": "Show/hide the transcript list"},
    "key.toggle_codebook": {"zh": "显示/隐藏编码本", "en": "Show/hide the codebook"},
    "key.extend_sentence": {"zh": "选区延伸到下一句", "en": "Extend selection by sentence"},
    "key.shrink_sentence": {"zh": "选区延伸到上一句", "en": "Extend selection back by sentence"},
    "key.extend_word": {"zh": "选区延伸到下一个词", "en": "Extend selection by word"},
    "key.shrink_word": {"zh": "选区延伸到上一个词", "en": "Extend selection back by word"},
    "key.extend_char": {"zh": "选区延伸一个字", "en": "Extend selection by character"},
    "key.shrink_char": {"zh": "选区向前延伸一个字", "en": "Extend selection back by character"},
    "key.clear_selection": {"zh": "取消选区", "en": "Clear selection"},
    # Undo and redo say what they did: "撤销：删除编码 · 宣传推广 · A01_zhang 句 12"
    "action.uncode": {"zh": "删除编码", "en": "Removal"},
    "action.memo": {"zh": "备忘", "en": "Memo"},
    "action.add_code": {"zh": "新建编码", "en": "New code"},
    "action.suggest": {"zh": "{count} 条建议", "en": "{count} suggestions"},
    "action.accept": {"zh": "接受 {count} 条建议", "en": "Accepting {count} suggestions"},
    "action.reject": {"zh": "拒绝 {count} 条建议", "en": "Rejecting {count} suggestions"},
    "action.import": {"zh": "导入编码", "en": "Imported codings"},
    "action.review": {"zh": "审阅标记", "en": "Review mark"},
    "action.rename": {"zh": "编码更名", "en": "Rename"},
    "action.edit": {"zh": "编码修改", "en": "Code edit"},
    "action.move": {"zh": "移动编码", "en": "Code move"},
    "action.reorder": {"zh": "编码排序", "en": "Code order"},
    "action.merge": {"zh": "合并编码（{count} 处）", "en": "Merge ({count} codings)"},
    "action.split": {"zh": "拆分编码（{count} 处）", "en": "Split ({count} codings)"},
    "action.delete": {"zh": "删除编码", "en": "Code deletion"},
    # Refining the codebook in its pane (issue 17)
    "key.code_edit": {"zh": "编码本：编辑编码定义", "en": "Codebook: edit code"},
    "key.code_rename": {"zh": "编码本：重命名（标签、编号）", "en": "Codebook: rename (label, id)"},
    "key.code_move": {"zh": "编码本：移到其他上级", "en": "Codebook: move under another parent"},
    "key.code_up": {"zh": "编码本：上移", "en": "Codebook: move up"},
    "key.code_down": {"zh": "编码本：下移", "en": "Codebook: move down"},
    "key.code_merge": {"zh": "编码本：合并到……", "en": "Codebook: merge into…"},
    "key.code_delete": {"zh": "编码本：删除编码", "en": "Codebook: delete code"},
    "key.code_new_child": {"zh": "编码本：新建下级编码", "en": "Codebook: new child code"},
    "key.code_new_sibling": {"zh": "编码本：新建同级编码", "en": "Codebook: new sibling code"},
    "form.edit": {"zh": "编辑编码：{code}", "en": "Edit code: {code}"},
    "form.new_under": {"zh": "新建编码（在“{parent}”下）", "en": "New code under “{parent}”"},
    "form.new_top": {"zh": "新建顶层编码", "en": "New top-level code"},
    "form.hint": {
        "zh": "Ctrl+S 或 Enter 保存 · Tab 下一栏 · Esc 取消",
        "en": "Ctrl+S or Enter save · Tab next field · Esc cancel",
    },
    "form.id": {"zh": "编号", "en": "Id"},
    "form.label": {"zh": "标签", "en": "Label"},
    "form.label_en": {"zh": "英文标签", "en": "English label"},
    "form.color": {"zh": "颜色 #rrggbb", "en": "Colour #rrggbb"},
    "form.description": {"zh": "说明", "en": "Description"},
    "form.include": {"zh": "包括", "en": "Include"},
    "form.exclude": {"zh": "不包括", "en": "Exclude"},
    "form.examples": {"zh": "示例（每行一条）", "en": "Examples (one a line)"},
    "form.keywords": {"zh": "关键词（逗号或顿号分隔）", "en": "Keywords (comma separated)"},
    "form.label_empty": {"zh": "请填写标签", "en": "The label is empty"},
    "chooser.move": {"zh": "将“{code}”移到哪个编码下？", "en": "Move “{code}” under which code?"},
    "chooser.merge": {"zh": "将“{code}”合并到哪个编码？", "en": "Merge “{code}” into which code?"},
    "chooser.split": {
        "zh": "将 {code} 的 {count} 处编码拆分到……",
        "en": "Recode {count} codings of {code} to…",
    },
    "choice.merge_title": {
        "zh": "“{code}”合并到“{into}”：它的下级编码呢？",
        "en": "Merging “{code}” into “{into}”: and its child codes?",
    },
    "choice.merge_with_children": {
        "zh": "{n} 个下级编码一并合并",
        "en": "Merge its {n} child codes too",
    },
    "choice.merge_alone": {
        "zh": "{n} 个下级编码移到“{into}”下",
        "en": "Move its {n} child codes under “{into}”",
    },
    "choice.delete_title": {
        "zh": "删除“{code}”？（{count} 处编码，{n} 个下级编码）",
        "en": "Delete “{code}”? ({count} codings, {n} child codes)",
    },
    "choice.delete": {"zh": "删除", "en": "Delete"},
    "choice.delete_merge": {
        "zh": "改为合并到其他编码……（保留编码片段）",
        "en": "Merge it into another code instead… (keeps the codings)",
    },
    "choice.delete_with": {
        "zh": "连同 {count} 处编码、{n} 个下级编码一起删除",
        "en": "Delete it with its {count} codings and {n} child codes",
    },
    "notify.nothing_changed": {"zh": "没有改动", "en": "Nothing changed"},
    "notify.favourite_bound": {"zh": "按键 {n}：{code}", "en": "Key {n}: {code}"},
    "help.open_transcript": {
        "zh": "打开另一份转录稿（在转录稿列表中）",
        "en": "Open another transcript (in the list)",
    },
    "help.favourites": {
        "zh": "常用编码；在编码本中按数字改绑",
        "en": "Favourite codes; a digit in the codebook rebinds",
    },
    # Notifications
    "notify.coded": {"zh": "已编码：{code}", "en": "Coded: {code}"},
    "notify.removed": {"zh": "已删除编码：{code}", "en": "Removed: {code}"},
    "notify.undone": {"zh": "撤销：{action}", "en": "Undone: {action}"},
    "notify.redone": {"zh": "重做：{action}", "en": "Redone: {action}"},
    "notify.nothing_to_undo": {"zh": "没有可撤销的操作", "en": "Nothing to undo"},
    "notify.nothing_to_redo": {"zh": "没有可重做的操作", "en": "Nothing to redo"},
    "notify.memo_saved": {"zh": "备忘已保存", "en": "Memo saved"},
    "notify.code_created": {"zh": "已新建编码：{code}", "en": "New code: {code}"},
    "notify.coder": {"zh": "当前编码员：{coder}", "en": "Coding as {coder}"},
    "notify.no_selection": {"zh": "请先选择文字", "en": "Select some text first"},
    "notify.no_coding_here": {"zh": "此处没有编码", "en": "No coding here"},
    "notify.no_favourite": {"zh": "未设置常用编码 {n}", "en": "No favourite code {n}"},
    "notify.accepted": {"zh": "已接受 {count} 条建议", "en": "Accepted {count} suggestions"},
    "notify.rejected": {"zh": "已拒绝 {count} 条建议", "en": "Rejected {count} suggestions"},
    "notify.language": {"zh": "界面语言：中文", "en": "Language: English"},
    "notify.role_set": {
        "zh": "{speaker}：{role}（{n} 份转录稿）",
        "en": "{speaker}: {role} ({n} transcript)",
    },
    "notify.no_speakers": {"zh": "这份转录稿没有发言人", "en": "This transcript has no speakers"},
    "notify.reviewed": {
        "zh": "{transcript}：{coder} 已审阅（未编码处即无此编码）",
        "en": "{transcript}: reviewed by {coder} (uncoded means no code)",
    },
    "notify.unreviewed": {
        "zh": "{transcript}：已取消 {coder} 的审阅标记",
        "en": "{transcript}: no longer marked reviewed by {coder}",
    },
    # Words
    "word.coder": {"zh": "编码员", "en": "Coder"},
    # Code picker
    "picker.title": {"zh": "选择编码", "en": "Choose a code"},
    "picker.placeholder": {
        "zh": "输入中文、拼音首字母、英文或编号",
        "en": "Type Chinese, pinyin initials, English or an id",
    },
    "picker.no_match": {"zh": "没有匹配的编码", "en": "No matching code"},
    "picker.new_code": {"zh": "+ 新建编码“{label}”", "en": "+ New code “{label}”"},
    "picker.hint": {
        "zh": "↑↓ 选择 · Enter 确定 · Ctrl+N 新建 · Esc 取消",
        "en": "↑↓ move · Enter pick · Ctrl+N new code · Esc cancel",
    },
    "picker.new_title": {"zh": "新建编码“{label}”", "en": "New code “{label}”"},
    "picker.parent": {"zh": "上级编码", "en": "Parent code"},
    "picker.parent_placeholder": {"zh": "筛选上级编码", "en": "Filter parent codes"},
    "picker.top_level": {"zh": "（顶层）", "en": "(top level)"},
    "picker.code_id": {"zh": "编号", "en": "Id"},
    "picker.new_hint": {
        "zh": "↑↓ 选上级 · Enter 下一步/创建 · Esc 返回",
        "en": "↑↓ parent · Enter next/create · Esc back",
    },
    "picker.id_empty": {"zh": "请填写编号", "en": "The id is empty"},
    "picker.id_invalid": {
        "zh": "编号只能包含英文字母、数字和 _ - .",
        "en": "An id may only contain ASCII letters, digits, _ - and .",
    },
    "picker.id_taken": {"zh": "编号 {code_id} 已被使用", "en": "The id {code_id} is taken"},
    # Text prompt
    "prompt.save": {"zh": "保存", "en": "Save"},
    "prompt.cancel": {"zh": "取消", "en": "Cancel"},
    "prompt.hint": {"zh": "Enter 保存 · Esc 取消", "en": "Enter save · Esc cancel"},
    "prompt.hint_multiline": {"zh": "Ctrl+S 保存 · Esc 取消", "en": "Ctrl+S save · Esc cancel"},
    "prompt.coder_name": {"zh": "编码员姓名", "en": "Coder name"},
    "prompt.memo": {"zh": "编码备忘", "en": "Memo on this coding"},
    "prompt.transcript_memo": {"zh": "转录稿备忘", "en": "Transcript memo"},
    "prompt.search": {"zh": "搜索", "en": "Search"},
    # Choice list
    "choice.hint": {
        "zh": "↑↓ 选择 · Enter 确定 · Esc 取消",
        "en": "↑↓ move · Enter pick · Esc cancel",
    },
    "choice.switch_coder": {"zh": "切换编码员", "en": "Switch coder"},
    "choice.speaker": {"zh": "哪位发言人？", "en": "Which speaker?"},
    "choice.role": {"zh": "{speaker} 的角色", "en": "Role of {speaker}"},
    "role.interviewer": {"zh": "访谈者", "en": "interviewer"},
    "role.respondent": {"zh": "受访者", "en": "respondent"},
    "role.other": {"zh": "其他", "en": "other"},
    "word.turns": {"zh": "{n} 轮发言", "en": "{n} turns"},
    "choice.new_coder": {"zh": "+ 新编码员", "en": "+ New coder"},
    "choice.remove_coding": {"zh": "删除哪一条编码？", "en": "Remove which coding?"},
    # Help
    "help.title": {"zh": "快捷键", "en": "Keys"},
    "help.key": {"zh": "按键", "en": "Key"},
    "help.action": {"zh": "功能", "en": "Action"},
    "help.hint": {"zh": "Esc / q / ? 关闭", "en": "Esc / q / ? close"},
}


class _KeepMissing(dict[str, object]):
    """Leaves a field nobody filled in as ``{name}`` rather than raising."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def t(key: str, lang: str, **fields: object) -> str:
    """The text of message ``key`` in ``lang``, falling back to English, then to the key
    itself; ``fields`` fill the ``{name}`` placeholders (a missing one is left as it is)."""
    entry = STRINGS.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry.get("en") or key
    return text.format_map(_KeepMissing(fields)) if fields else text


# Binding id -> i18n key of its description: the footer and the help speak the UI language.
BINDING_DESCRIPTIONS = {
    "transcript_view.next_sentence": "key.next_sentence",
    "transcript_view.previous_sentence": "key.prev_sentence",
    "transcript_view.next_word": "key.next_word",
    "transcript_view.previous_word": "key.prev_word",
    "transcript_view.next_char": "key.next_char",
    "transcript_view.previous_char": "key.prev_char",
    "transcript_view.next_turn": "key.next_turn",
    "transcript_view.previous_turn": "key.prev_turn",
    "transcript_view.next_uncoded": "key.next_uncoded",
    "transcript_view.toggle_visual": "key.visual_mode",
    "apply_code": "key.apply_code",
    "in_vivo": "key.in_vivo",
    "remove_coding": "key.remove_coding",
    "memo": "key.memo",
    "transcript_memo": "key.transcript_memo",
    "memos": "key.memos",
    "code_memo": "key.code_memo",
    "undo": "key.undo",
    "redo": "key.redo",
    "search": "key.search",
    "search_all": "key.search_all",
    "next_hit": "key.next_hit",
    "previous_hit": "key.previous_hit",
    "retrieve": "key.retrieve",
    "reports": "key.reports",
    "switch_view": "key.switch_coder",
    "language": "key.language",
    "help": "key.help",
    "quit": "key.quit",
    "next_suggestion": "key.next_suggestion",
    "accept_suggestion": "key.accept_suggestion",
    "reject_suggestion": "key.reject_suggestion",
    "focus_next": "key.focus_next",
    "focus_previous": "key.focus_previous",
    "set_coder": "key.set_coder",
    "speaker_role": "key.speaker_role",
    "review": "key.review",
    "toggle_transcripts": "key.toggle_transcripts",
    "toggle_codebook": "key.toggle_codebook",
    "transcript_view.select_next_sentence": "key.extend_sentence",
    "transcript_view.select_previous_sentence": "key.shrink_sentence",
    "transcript_view.select_next_word": "key.extend_word",
    "transcript_view.select_previous_word": "key.shrink_word",
    "transcript_view.select_next_char": "key.extend_char",
    "transcript_view.select_previous_char": "key.shrink_char",
    "transcript_view.clear_selection": "key.clear_selection",
    "reports.close": "key.back",
    "reports.export": "key.export",
    "code_edit": "key.code_edit",
    "code_rename": "key.code_rename",
    "code_move": "key.code_move",
    "code_up": "key.code_up",
    "code_down": "key.code_down",
    "code_merge": "key.code_merge",
    "code_delete": "key.code_delete",
    "code_new_child": "key.code_new_child",
    "code_new_sibling": "key.code_new_sibling",
}


def translate_bindings(node: DOMNode, lang: str) -> None:
    """Give ``node``'s key bindings their descriptions in ``lang``, for the footer and help.

    Textual keeps a node's bindings in its own map (a copy of the class's), so replacing the
    entries there changes this node only."""
    table = node._bindings.key_to_bindings
    for key, bindings in table.items():
        table[key] = [
            replace(b, description=t(BINDING_DESCRIPTIONS[b.id], lang))
            if b.id in BINDING_DESCRIPTIONS
            else b
            for b in bindings
        ]
