Feature: Two officers acting on the same case at once (并发办理)
  Two officers may open the same case and act on what they saw. Exactly one act is recorded; the
  other officer is told the case changed meanwhile, nothing of theirs is written, and they can
  reload the case and act again.

  Background:
    Given the organisation of 哈密市 and 伊州区 as on file
    And 伊州区信访局 registered case A on 2026-03-02
    And 伊州区信访局 transferred case A to 伊州区住房和城乡建设局 on 2026-03-03
    And 伊州区住房和城乡建设局 signed for case A on 2026-03-04

  Scenario: Both officers accept the case they opened; the second is told it changed
    Given 刘洋 of 伊州区住房和城乡建设局 opened case A
    And 孙丽 of 伊州区住房和城乡建设局 opened case A
    When 刘洋 of 伊州区住房和城乡建设局 accepts case A on 2026-03-05, as last seen
    And 孙丽 of 伊州区住房和城乡建设局 accepts case A on 2026-03-05, as last seen
    Then the step is refused with "version_conflict"
    And nothing was recorded
    And case A was accepted exactly once

  Scenario: Two notes written from the same version are not both recorded
    Given 刘洋 of 伊州区住房和城乡建设局 opened case A
    And 孙丽 of 伊州区住房和城乡建设局 opened case A
    When 刘洋 of 伊州区住房和城乡建设局 notes on case A on 2026-03-05, as last seen: "已电话联系信访人"
    And 孙丽 of 伊州区住房和城乡建设局 notes on case A on 2026-03-05, as last seen: "已现场核实住房情况"
    Then the step is refused with "version_conflict"
    And nothing was recorded
    And case A holds exactly one note "已电话联系信访人"
    And the history of case A has 4 acts

  Scenario: The second officer reloads the case and records the note
    Given 刘洋 of 伊州区住房和城乡建设局 opened case A
    And 孙丽 of 伊州区住房和城乡建设局 opened case A
    And 刘洋 of 伊州区住房和城乡建设局 noted on case A on 2026-03-05, as last seen: "已电话联系信访人"
    When 孙丽 of 伊州区住房和城乡建设局 notes on case A on 2026-03-05, as last seen: "已现场核实住房情况"
    Then the step is refused with "version_conflict"
    When 孙丽 of 伊州区住房和城乡建设局 reloads case A
    And 孙丽 of 伊州区住房和城乡建设局 notes on case A on 2026-03-05, as last seen: "已现场核实住房情况"
    Then the step is recorded
    And case A holds exactly one note "已电话联系信访人"
    And case A holds exactly one note "已现场核实住房情况"
    And the history of case A has 5 acts

  Scenario: Two notes saved at the same moment: the store lets only one through
    Given 刘洋 of 伊州区住房和城乡建设局 began a note on case A on 2026-03-05: "已电话联系信访人"
    And 孙丽 of 伊州区住房和城乡建设局 began a note on case A on 2026-03-05: "已现场核实住房情况"
    When 刘洋 saves the note
    And 孙丽 saves the note
    Then the step is refused with "version_conflict"
    And nothing was recorded
    And case A holds exactly one note "已电话联系信访人"
    And the history of case A has 4 acts
